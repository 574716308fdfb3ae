/// Turns 8-byte HID boot keyboard reports from a keyboard-wedge scanner into codes (`hid-keyboard`).
///
/// A boot report says which keys are down now, not which were pressed, so a key counts as a new press
/// only when it was not down in the previous report: that is how roll-over (several keys in one report)
/// and repeated characters (`11`, which needs a release in between) come out right. Codes end at
/// Enter, keypad Enter or Tab, or after ``silenceTimeout`` without a new character; the reader calls
/// ``flush(now:)`` on a timer for the last case.
///
/// Silence is measured on the reports' own times (when each transfer reached the agent), never on a
/// clock that runs while reports wait to be decoded. And once the scanner has ended a code with a
/// terminator (``endsCodesWithTerminator``), silence no longer ends its codes at all: a box too busy
/// to take the reports in time cannot cut `PC02K000009` into `PC02K00000` and `9`. Such a device's
/// code that stays without its terminator for ``abandonTimeout`` is dropped, not journaled short,
/// when the next report comes, and the decoder goes back to ending codes by silence (the scanner
/// was reconfigured without a suffix).
///
/// A code longer than ``maxCodeLength`` characters is dropped and counted (`code-too-long`), up to
/// its end, as the serial and HID POS decoders do.
///
/// A keycode the US table does not know is an error and makes the code in progress unreliable: it is
/// dropped when it ends (never typed with a hole in it, which could still look like a tracking number).
public struct BootKeyboardDecoder: Sendable {
    /// Length of a boot keyboard report: modifiers, reserved, six keycodes.
    public static let reportLength = 8
    /// The SPEC's silence that ends a code without terminator: 100 ms.
    public static let defaultSilenceTimeout: UInt64 = 100_000_000

    /// Nanoseconds without a new character after which a pending code ends (until the scanner has
    /// shown that it ends its codes with a terminator).
    public var silenceTimeout: UInt64
    /// Longest code kept, in characters; a longer one is dropped and counted.
    public var maxCodeLength: Int
    /// For a scanner that ends its codes with a terminator: the silence, between two reports'
    /// times, after which an unterminated code is given up as incomplete (dropped).
    public var abandonTimeout: UInt64
    /// True once a code ended with Enter, keypad Enter or Tab (or Ctrl+M/J/I): from then on silence
    /// does not end this scanner's codes.
    public private(set) var endsCodesWithTerminator = false
    /// The Caps Lock state the scanner has toggled (it sends the Caps Lock key itself when it thinks
    /// the host's state is wrong); letters are inverted while it is on.
    public private(set) var capsLock: Bool
    /// Totals since the decoder was created.
    public private(set) var counters = DecoderCounters()

    private var keysDown: [UInt8] = []
    private var pending: [UInt8] = []
    private var pendingIsBroken = false
    /// The code in progress went past ``maxCodeLength``: the rest of it is skipped.
    private var pendingIsTooLong = false
    private var pendingLength = 0
    private var lastCharacterTime: UInt64 = 0

    /// The default of ``abandonTimeout``: 5 s, far beyond any stall of a working box.
    public static let defaultAbandonTimeout: UInt64 = 5_000_000_000

    /// - Parameters:
    ///   - silenceTimeout: nanoseconds of silence that end a code (SPEC §4: 100 ms).
    ///   - maxCodeLength: 512 characters, the cap of every protocol.
    ///   - abandonTimeout: see ``abandonTimeout``.
    ///   - capsLock: the Caps Lock state to start from; off, since the agent owns the device and no host
    ///     LED state reaches the scanner.
    public init(
        silenceTimeout: UInt64 = BootKeyboardDecoder.defaultSilenceTimeout, maxCodeLength: Int = 512,
        abandonTimeout: UInt64 = BootKeyboardDecoder.defaultAbandonTimeout, capsLock: Bool = false
    ) {
        self.silenceTimeout = silenceTimeout
        self.maxCodeLength = max(1, maxCodeLength)
        self.abandonTimeout = abandonTimeout
        self.capsLock = capsLock
    }

    /// True while characters of an unfinished code are held.
    public var hasPendingCode: Bool { !pending.isEmpty || pendingIsBroken || pendingIsTooLong }

    /// True while silence may still end the pending code, so the reader's timer has work to do.
    public var waitsForSilence: Bool { hasPendingCode && !endsCodesWithTerminator }

    /// Decodes one report received at monotonic time `time` (nanoseconds).
    ///
    /// A pending code older than the silence timeout is completed first, so a missed timer never glues
    /// two scans together (for a scanner that ends its codes with a terminator: a code left without it
    /// for ``abandonTimeout`` is dropped).
    public mutating func feed(report: some Collection<UInt8>, at time: UInt64) -> DecoderOutput {
        var output = flush(now: time)
        if endsCodesWithTerminator, hasPendingCode, time >= lastCharacterTime, time - lastCharacterTime >= abandonTimeout {
            counters.fail(.terminatorMissing(byteCount: pendingLength), into: &output)
            clearPending()
            endsCodesWithTerminator = false
        }
        guard report.count == Self.reportLength else {
            counters.fail(.malformedReport(length: report.count, expected: Self.reportLength), into: &output)
            return output
        }
        let bytes = Array(report)
        let modifiers = bytes[0]
        let keys = bytes[2..<8]
        // In a phantom report every slot holds an error code and the real key state is unknown: keep
        // the previous state so keys that stay down are not pressed again afterwards.
        if keys.contains(where: { USKeyboardTable.Keycode.rollOverErrors.contains($0) }) {
            counters.ignoredReports += 1
            return output
        }
        var nowDown: [UInt8] = []
        for key in keys where key != 0 && !nowDown.contains(key) {
            nowDown.append(key)
            if !keysDown.contains(key) {
                press(key, modifiers: modifiers, at: time, into: &output)
            }
        }
        keysDown = nowDown
        return output
    }

    /// Completes the pending code if its last character came at least ``silenceTimeout`` before `now`,
    /// unless the scanner ends its codes with a terminator (then silence never ends them).
    ///
    /// `now` must be the time of a report, or a moment when every report that had reached the agent
    /// by then has been fed: the reader makes sure of that. The code's completion time is that of its
    /// last character, not `now`, so timer jitter does not shift scan times.
    public mutating func flush(now: UInt64) -> DecoderOutput {
        var output = DecoderOutput()
        if waitsForSilence, now >= lastCharacterTime, now - lastCharacterTime >= silenceTimeout {
            finish(.timeout, at: lastCharacterTime, into: &output)
        }
        return output
    }

    private mutating func press(_ key: UInt8, modifiers: UInt8, at time: UInt64, into output: inout DecoderOutput) {
        typealias K = USKeyboardTable.Keycode
        typealias M = USKeyboardTable.Modifier
        switch key {
        case K.enter, K.keypadEnter:
            finish(.enter, at: time, into: &output)
            return
        case K.tab:
            finish(.tab, at: time, into: &output)
            return
        case K.capsLock:
            capsLock.toggle()
            return
        case K.numLock, K.modifiers:
            return
        default:
            break
        }
        let shift = modifiers & M.shift != 0
        let character: UInt8?
        if modifiers & M.altOrGUI != 0 {
            character = nil
        } else if modifiers & M.control != 0 {
            character = USKeyboardTable.controlCharacter(for: key, shift: shift)
        } else {
            character = USKeyboardTable.character(for: key, shift: shift, capsLock: capsLock)
        }
        lastCharacterTime = time
        // Scanners in "Control + ASCII" mode type their CR/LF/HT suffix as Ctrl+M, Ctrl+J and
        // Ctrl+I: those end a code exactly as Enter and Tab do, or the code would carry the
        // control character and end only by the silence timeout.
        if character == 0x0D || character == 0x0A {
            finish(.enter, at: time, into: &output)
            return
        }
        if character == 0x09 {
            finish(.tab, at: time, into: &output)
            return
        }
        if pendingIsTooLong {
            return
        }
        if pendingLength >= maxCodeLength {
            counters.fail(.codeTooLong(limit: maxCodeLength), into: &output)
            pending.removeAll(keepingCapacity: true)
            pendingIsBroken = false
            pendingIsTooLong = true
            return
        }
        pendingLength += 1
        if let character {
            pending.append(character)
        } else {
            pendingIsBroken = true
            counters.fail(.unknownKeycode(key, modifiers: modifiers), into: &output)
        }
    }

    private mutating func clearPending() {
        pending.removeAll(keepingCapacity: true)
        pendingIsBroken = false
        pendingIsTooLong = false
        pendingLength = 0
    }

    private mutating func finish(_ terminator: CodeTerminator, at time: UInt64, into output: inout DecoderOutput) {
        defer { clearPending() }
        if terminator != .timeout { endsCodesWithTerminator = true }
        if pendingIsTooLong {
            // Counted when it went past the cap.
        } else if pendingIsBroken {
            counters.fail(.codeDiscarded(byteCount: pending.count), into: &output)
        } else if !pending.isEmpty {
            counters.emit(ScannedCode(raw: pending, completedAt: time, terminator: terminator), into: &output)
        }
    }
}
