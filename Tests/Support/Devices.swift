/// How a keyboard-wedge scanner "types" on a US layout: boot keyboard reports, written from the HID usage tables
/// independently of the decoder's table, so the two check each other.
public enum Typist {
    public static let leftShift: UInt8 = 0x02
    public static let rightShift: UInt8 = 0x20
    public static let enter: UInt8 = 0x28
    public static let tab: UInt8 = 0x2B
    public static let capsLock: UInt8 = 0x39
    public static let keypadEnter: UInt8 = 0x58

    /// Keycode and Shift for one character; digits from the numeric keypad when `keypad`.
    public static func stroke(_ character: Character, keypad: Bool = false) -> (keycode: UInt8, shift: Bool) {
        let lowerLetters = Array("abcdefghijklmnopqrstuvwxyz")
        let upperLetters = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZ")
        let digits = Array("1234567890")
        let shiftedDigits = Array("!@#$%^&*()")
        if let index = lowerLetters.firstIndex(of: character) { return (0x04 + UInt8(index), false) }
        if let index = upperLetters.firstIndex(of: character) { return (0x04 + UInt8(index), true) }
        if let index = digits.firstIndex(of: character) { return ((keypad ? 0x59 : 0x1E) + UInt8(index), false) }
        if let index = shiftedDigits.firstIndex(of: character) { return (0x1E + UInt8(index), true) }
        let others: [Character: (UInt8, Bool)] = [
            " ": (0x2C, false), "-": (0x2D, false), "_": (0x2D, true), "=": (0x2E, false), "+": (0x2E, true),
            "[": (0x2F, false), "{": (0x2F, true), "]": (0x30, false), "}": (0x30, true),
            "\\": (0x31, false), "|": (0x31, true), ";": (0x33, false), ":": (0x33, true),
            "'": (0x34, false), "\"": (0x34, true), "`": (0x35, false), "~": (0x35, true),
            ",": (0x36, false), "<": (0x36, true), ".": (0x37, false), ">": (0x37, true),
            "/": (0x38, false), "?": (0x38, true),
        ]
        guard let stroke = others[character] else { fatalError("no US key for \(character)") }
        return stroke
    }

    /// One boot report.
    public static func report(_ keys: [UInt8] = [], modifiers: UInt8 = 0) -> [UInt8] {
        precondition(keys.count <= 6)
        return [modifiers, 0] + keys + [UInt8](repeating: 0, count: 6 - keys.count)
    }

    public enum Releases: Sendable {
        /// Press, then an all-keys-up report, for every character (the usual wedge behaviour).
        case afterEveryKey
        /// Each press report replaces the previous one directly; an all-up report is sent only
        /// between two identical keys (the minimum a correct device must send).
        case onlyBetweenIdenticalKeys
    }

    /// The reports that type `text` and then press `terminator` (nil: no terminator, the code ends by silence).
    /// Shifted characters use `shift`, or alternate left and right Shift when `alternateShift`.
    public static func type(
        _ text: String, terminator: UInt8? = enter, releases: Releases = .afterEveryKey, shift: UInt8 = leftShift,
        keypad: Bool = false, alternateShift: Bool = false
    ) -> [[UInt8]] {
        var reports: [[UInt8]] = []
        var strokes = text.map { stroke($0, keypad: keypad) }
        if let terminator { strokes.append((terminator, false)) }
        var previous: UInt8?
        var shifted = 0
        for (keycode, isShifted) in strokes {
            var modifiers: UInt8 = 0
            if isShifted {
                modifiers = alternateShift ? (shifted % 2 == 1 ? rightShift : leftShift) : shift
                shifted += 1
            }
            if releases == .onlyBetweenIdenticalKeys, previous == keycode { reports.append(report()) }
            reports.append(report([keycode], modifiers: modifiers))
            if releases == .afterEveryKey { reports.append(report()) }
            previous = keycode
        }
        if releases == .onlyBetweenIdenticalKeys { reports.append(report()) }
        return reports
    }
}

/// A Honeywell-style HID POS scanned-data report (64 bytes, report ID 2).
public func posReport(
    data: [UInt8], aim: String? = "]C0", continued: Bool = false, count: UInt8? = nil, codeID: UInt8 = 0x6A
) -> [UInt8] {
    precondition(data.count <= 56)
    var report = [UInt8](repeating: 0, count: 64)
    report[0] = 2
    report[1] = count ?? UInt8(data.count)
    if let aim { report.replaceSubrange(2..<5, with: Array(aim.utf8)) }
    report.replaceSubrange(5..<5 + data.count, with: data)
    report[61] = codeID
    report[63] = continued ? 1 : 0
    return report
}

/// The HID POS reports of one code: 56 data bytes per report, "continued" on all but the last.
public func posReports(_ code: String, aim: String = "]C0") -> [[UInt8]] {
    let bytes = Array(code.utf8)
    var reports: [[UInt8]] = []
    var start = 0
    repeat {
        let end = min(start + 56, bytes.count)
        reports.append(posReport(data: Array(bytes[start..<end]), aim: aim, continued: end < bytes.count))
        start = end
    } while start < bytes.count
    return reports
}

/// One FTDI bulk IN transfer carrying `data`: a packet per `packetSize` bytes on the wire, each starting with the
/// modem and line status bytes (0x01 0x60: idle, transmitter empty).
public func ftdiTransfer(_ data: [UInt8], packetSize: Int = 64, status: (UInt8, UInt8) = (0x01, 0x60)) -> [UInt8] {
    var transfer: [UInt8] = []
    var start = 0
    repeat {
        let end = min(start + packetSize - 2, data.count)
        transfer += [status.0, status.1] + data[start..<end]
        start = end
    } while start < data.count
    return transfer
}
