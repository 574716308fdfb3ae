import ScannerProtocols

/// Milliseconds in the decoders' nanosecond clock.
func ms(_ value: UInt64) -> UInt64 { value * 1_000_000 }

/// Bytes of an ASCII string.
func bytes(_ text: String) -> [UInt8] { Array(text.utf8) }

/// A deterministic pseudo-random source, so fuzz-style tests fail the same way every run.
struct SplitMix64: RandomNumberGenerator {
    var state: UInt64
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476C_E5B9_E4D9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

// MARK: Keyboard

/// How a keyboard-wedge scanner "types" (written from the HID usage tables, independently of the
/// decoder's table, so the two check each other).
enum Typist {
    static let leftShift: UInt8 = 0x02
    static let rightShift: UInt8 = 0x20
    static let enter: UInt8 = 0x28
    static let tab: UInt8 = 0x2B
    static let capsLock: UInt8 = 0x39

    /// Keycode and Shift for one character on a US layout.
    static func stroke(_ character: Character) -> (keycode: UInt8, shift: Bool) {
        let lowerLetters = Array("abcdefghijklmnopqrstuvwxyz")
        let upperLetters = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZ")
        let digits = Array("1234567890")
        let shiftedDigits = Array("!@#$%^&*()")
        if let index = lowerLetters.firstIndex(of: character) { return (0x04 + UInt8(index), false) }
        if let index = upperLetters.firstIndex(of: character) { return (0x04 + UInt8(index), true) }
        if let index = digits.firstIndex(of: character) { return (0x1E + UInt8(index), false) }
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
    static func report(_ keys: [UInt8] = [], modifiers: UInt8 = 0) -> [UInt8] {
        precondition(keys.count <= 6)
        return [modifiers, 0] + keys + [UInt8](repeating: 0, count: 6 - keys.count)
    }

    enum Releases {
        /// Press, then an all-keys-up report, for every character (the usual wedge behaviour).
        case afterEveryKey
        /// Each press report replaces the previous one directly; an all-up report is sent only
        /// between two identical keys (the minimum a correct device must send).
        case onlyBetweenIdenticalKeys
    }

    /// The reports that type `text` and then press `terminator` (nil: no terminator).
    static func type(
        _ text: String, terminator: UInt8? = enter, releases: Releases = .afterEveryKey, shift: UInt8 = leftShift
    ) -> [[UInt8]] {
        var reports: [[UInt8]] = []
        var strokes = text.map { stroke($0) }
        if let terminator { strokes.append((terminator, false)) }
        var previous: UInt8?
        for (keycode, shifted) in strokes {
            if releases == .onlyBetweenIdenticalKeys, previous == keycode { reports.append(report()) }
            reports.append(report([keycode], modifiers: shifted ? shift : 0))
            if releases == .afterEveryKey { reports.append(report()) }
            previous = keycode
        }
        if releases == .onlyBetweenIdenticalKeys { reports.append(report()) }
        return reports
    }
}

/// Feeds `reports` 8 ms apart (Honeywell's default bInterval) starting at `start`.
@discardableResult
func feed(
    _ decoder: inout BootKeyboardDecoder, _ reports: [[UInt8]], start: UInt64 = ms(1_000), step: UInt64 = ms(8)
) -> (output: DecoderOutput, lastTime: UInt64) {
    var output = DecoderOutput()
    var time = start
    for (index, report) in reports.enumerated() {
        time = start + UInt64(index) * step
        output.append(decoder.feed(report: report, at: time))
    }
    return (output, time)
}

// MARK: HID POS

/// A Honeywell-style scanned-data report (64 bytes, report ID 2).
func posReport(
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

/// A HID POS report descriptor modelled on Honeywell's (the HID POS usage tables' Bar Code Scanner page
/// with vendor usages where Honeywell's guide names no standard usage): input report 2 of 64 bytes,
/// output report 4 of 2 bytes with trigger and beeper bits, and a feature report 0xFE. Written for the
/// tests from the published report layouts, not dumped from a device.
let honeywellStyleDescriptor: [UInt8] = [
    0x05, 0x8C,  // Usage Page (Bar Code Scanner)
    0x09, 0x02,  // Usage (Bar Code Scanner)
    0xA1, 0x01,  // Collection (Application)
    0x09, 0x12,  //   Usage (Scanned Data Report)
    0xA1, 0x02,  //   Collection (Logical)
    0x85, 0x02,  //     Report ID (2)
    0x15, 0x00,  //     Logical Minimum (0)
    0x26, 0xFF, 0x00,  //     Logical Maximum (255)
    0x75, 0x08,  //     Report Size (8)
    0x95, 0x01,  //     Report Count (1)
    0x06, 0x66, 0xFF,  //     Usage Page (Vendor 0xFF66)
    0x09, 0x01,  //     Usage (byte count)
    0x81, 0x02,  //     Input (Data,Var,Abs)
    0x05, 0x8C,  //     Usage Page (Bar Code Scanner)
    0x19, 0xFB,  //     Usage Minimum (Symbology Identifier 1)
    0x29, 0xFD,  //     Usage Maximum (Symbology Identifier 3)
    0x95, 0x03,  //     Report Count (3)
    0x81, 0x02,  //     Input (Data,Var,Abs)
    0x09, 0xFE,  //     Usage (Decoded Data)
    0x95, 0x38,  //     Report Count (56)
    0x82, 0x02, 0x01,  //     Input (Data,Var,Abs,Buffered Bytes)
    0x06, 0x66, 0xFF,  //     Usage Page (Vendor 0xFF66)
    0x09, 0x02,  //     Usage (Honeywell code ID)
    0x09, 0x03,  //     Usage (reserved)
    0x95, 0x02,  //     Report Count (2)
    0x81, 0x02,  //     Input (Data,Var,Abs)
    0x05, 0x8C,  //     Usage Page (Bar Code Scanner)
    0x09, 0xFF,  //     Usage (Decode Data Continued)
    0x25, 0x01,  //     Logical Maximum (1)
    0x75, 0x01,  //     Report Size (1)
    0x95, 0x01,  //     Report Count (1)
    0x81, 0x02,  //     Input (Data,Var,Abs)
    0x95, 0x07,  //     Report Count (7)
    0x81, 0x03,  //     Input (Const) padding
    0xC0,  //   End Collection
    0x85, 0x04,  //   Report ID (4)
    0x75, 0x01,  //   Report Size (1)
    0x95, 0x01,  //   Report Count (1)
    0x91, 0x03,  //   Output (Const) bit 0
    0x06, 0x66, 0xFF,  //   Usage Page (Vendor 0xFF66)
    0x09, 0x10,  //   Usage (prevent read)
    0x09, 0x11,  //   Usage (initiate read)
    0x95, 0x02,  //   Report Count (2)
    0x91, 0x02,  //   Output (Data,Var,Abs) bits 1-2
    0x91, 0x03,  //   Output (Const) bits 3-4
    0x05, 0x8C,  //   Usage Page (Bar Code Scanner)
    0x09, 0x85,  //   Usage (Sound Error Beep)
    0x09, 0x86,  //   Usage (Sound Good Read Beep)
    0x91, 0x02,  //   Output (Data,Var,Abs) bits 5-6
    0x95, 0x01,  //   Report Count (1)
    0x91, 0x03,  //   Output (Const) bit 7
    0x85, 0xFE,  //   Report ID (254)
    0x06, 0x66, 0xFF,  //   Usage Page (Vendor 0xFF66)
    0x09, 0x20,  //   Usage (redirect to interface)
    0x75, 0x08,  //   Report Size (8)
    0x26, 0xFF, 0x00,  //   Logical Maximum (255)
    0xB1, 0x02,  //   Feature (Data,Var,Abs)
    0xFE, 0x02, 0x10, 0xAA, 0xBB,  //   a long item, which parsers skip
    0xC0,  // End Collection
]

// MARK: FTDI

/// One FTDI bulk IN transfer carrying `data`: a packet per `packetSize` bytes on the wire, each starting
/// with the modem and line status bytes (0x01 0x60: idle, transmitter empty).
func ftdiTransfer(_ data: [UInt8], packetSize: Int = 64, status: (UInt8, UInt8) = (0x01, 0x60)) -> [UInt8] {
    var transfer: [UInt8] = []
    var start = 0
    repeat {
        let end = min(start + packetSize - 2, data.count)
        transfer += [status.0, status.1] + data[start..<end]
        start = end
    } while start < data.count
    return transfer
}
