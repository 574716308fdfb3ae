/// A problem a decoder found in what a device sent.
///
/// Decoders never crash and never guess on bad input: they drop what they cannot read, return one of
/// these so the reader can log it, and count it in ``DecoderCounters`` so `doctor` and the heartbeat log
/// can show a scanner that is misconfigured (wrong interface mode, non-US keys) or a flaky cable.
public enum DecodeError: Error, Sendable, Hashable, CustomStringConvertible {
    /// A report whose length is not the one the protocol defines; it was ignored.
    case malformedReport(length: Int, expected: Int)
    /// A key with no character in the US table (or with Alt/GUI/Ctrl held where no control
    /// character exists); the code being typed is discarded at its end rather than guessed.
    case unknownKeycode(UInt8, modifiers: UInt8)
    /// A code that an earlier error made unreliable was dropped when it ended.
    case codeDiscarded(byteCount: Int)
    /// A HID POS input report with a report ID that is not the scanned-data report.
    case unexpectedReportID(UInt8)
    /// A HID POS report claiming more data bytes than its data field holds.
    case byteCountTooLarge(count: Int, capacity: Int)
    /// Data went past the maximum code length; it is dropped up to the next terminator.
    case codeTooLong(limit: Int)
    /// A HID POS code whose "continued" reports stopped coming; the partial code was dropped.
    case incompleteCode(byteCount: Int)
    /// A keyboard-wedge code, from a scanner that ends its codes with Enter/Tab, that stayed without
    /// its terminator for the abandon timeout; it was dropped rather than journaled short.
    case terminatorMissing(byteCount: Int)
    /// An FTDI packet reported overrun, parity, framing error or break: bytes may be lost or wrong.
    case serialLineError(status: UInt8)

    /// The class of a ``DecodeError``, without its details, for counting.
    public enum Kind: String, Sendable, Hashable, CaseIterable {
        case malformedReport = "malformed-report"
        case unknownKeycode = "unknown-keycode"
        case codeDiscarded = "code-discarded"
        case unexpectedReportID = "unexpected-report-id"
        case byteCountTooLarge = "byte-count-too-large"
        case codeTooLong = "code-too-long"
        case incompleteCode = "incomplete-code"
        case serialLineError = "serial-line-error"
        case terminatorMissing = "terminator-missing"
    }

    /// The class of this error.
    public var kind: Kind {
        switch self {
        case .malformedReport: .malformedReport
        case .unknownKeycode: .unknownKeycode
        case .codeDiscarded: .codeDiscarded
        case .unexpectedReportID: .unexpectedReportID
        case .byteCountTooLarge: .byteCountTooLarge
        case .codeTooLong: .codeTooLong
        case .incompleteCode: .incompleteCode
        case .serialLineError: .serialLineError
        case .terminatorMissing: .terminatorMissing
        }
    }

    public var description: String {
        switch self {
        case .malformedReport(let length, let expected):
            "malformed report: \(length) bytes, expected \(expected)"
        case .unknownKeycode(let keycode, let modifiers):
            "keycode 0x\(hex(keycode)) (modifiers 0x\(hex(modifiers))) has no character in the US table"
        case .codeDiscarded(let byteCount):
            "code of \(byteCount) bytes discarded after an earlier error"
        case .unexpectedReportID(let id):
            "input report ID \(id) is not the scanned-data report"
        case .byteCountTooLarge(let count, let capacity):
            "byte count \(count) exceeds the report's \(capacity) data bytes"
        case .codeTooLong(let limit):
            "code longer than \(limit) bytes dropped"
        case .incompleteCode(let byteCount):
            "continued code stopped after \(byteCount) bytes; dropped"
        case .terminatorMissing(let byteCount):
            "code of \(byteCount) characters dropped: it never got the Enter/Tab this scanner ends its codes with (scan it again; if the scanner was set to send no suffix, it is read by silence from now on)"
        case .serialLineError(let status):
            "serial line error (line status 0x\(hex(status)))"
        }
    }
}

/// Running totals of a decoder, for the heartbeat log line and `doctor`.
///
/// Counts only grow; a reader that wants rates takes differences between two readings.
public struct DecoderCounters: Sendable, Hashable {
    /// Codes completed.
    public internal(set) var codes: Int = 0
    /// Reports ignored by design, not as errors: keyboard roll-over (phantom) reports.
    public internal(set) var ignoredReports: Int = 0
    /// Errors by kind.
    public internal(set) var errorsByKind: [DecodeError.Kind: Int] = [:]

    public init() {}

    /// All errors of every kind.
    public var errors: Int { errorsByKind.values.reduce(0, +) }

    /// Errors of one kind (0 when none happened).
    public subscript(kind: DecodeError.Kind) -> Int { errorsByKind[kind, default: 0] }

    mutating func record(_ error: DecodeError) {
        errorsByKind[error.kind, default: 0] += 1
    }
}

func hex(_ byte: UInt8) -> String {
    let digits = Array("0123456789abcdef")
    return String([digits[Int(byte >> 4)], digits[Int(byte & 0x0F)]])
}

extension DecoderCounters {
    /// Counts a code and adds it to `output`, so a code is never returned without being counted.
    mutating func emit(_ code: ScannedCode, into output: inout DecoderOutput) {
        codes += 1
        output.codes.append(code)
    }

    /// Counts an error and adds it to `output`, so an error is never returned without being counted.
    mutating func fail(_ error: DecodeError, into output: inout DecoderOutput) {
        record(error)
        output.errors.append(error)
    }
}
