/// How a decoded code was ended.
///
/// Kept with every code because a code ended by silence (``timeout``) rather than by a suffix can be
/// a scanner configured without a terminator, or a cut-off read: the reader logs the difference.
public enum CodeTerminator: String, Sendable, Hashable, CaseIterable {
    /// Enter (0x28) or keypad Enter (0x58) on a keyboard-wedge scanner.
    case enter
    /// Tab (0x2B) on a keyboard-wedge scanner.
    case tab
    /// CR, LF or CRLF on a serial (CDC-ACM or FTDI) scanner.
    case lineEnd = "line-end"
    /// No data for the configured silence timeout after the last character.
    case timeout
    /// A HID POS scanned-data report whose "continued" bit was clear.
    case endOfReport = "end-of-report"
}

/// One barcode as a decoder read it from one device, before any scan rule (SPEC §5) applies.
///
/// Decoders report what arrived, not what it means: letters keep the case the scanner typed, an AIM
/// identifier typed by a keyboard wedge stays in ``text`` (normalisation strips it later), and ``raw``
/// keeps the bytes for the journal so disputes can be settled from what the device really sent.
public struct ScannedCode: Sendable, Hashable, CustomStringConvertible {
    /// The code as text; bytes that are not valid UTF-8 appear as U+FFFD (``raw`` keeps them).
    public var text: String
    /// The bytes of the code as sent, without terminator (and, for HID POS, without the AIM identifier).
    public var raw: [UInt8]
    /// The AIM symbology identifier the device reported separately (`]C0`), or nil when it did not.
    public var symbology: String?
    /// Monotonic time (nanoseconds) of the report or transfer that completed the code.
    public var completedAt: UInt64
    /// What ended the code.
    public var terminator: CodeTerminator

    /// Creates a code whose text is the UTF-8 decoding of `raw`, so the two can never disagree.
    public init(raw: [UInt8], symbology: String? = nil, completedAt: UInt64, terminator: CodeTerminator) {
        self.text = String(decoding: raw, as: UTF8.self)
        self.raw = raw
        self.symbology = symbology
        self.completedAt = completedAt
        self.terminator = terminator
    }

    public var description: String {
        let prefix = symbology.map { "\($0) " } ?? ""
        return "\(prefix)\(text.debugDescription) (\(terminator.rawValue) at \(completedAt) ns)"
    }
}

/// What one call into a decoder produced: the codes it completed and the problems it found.
///
/// A single input can complete one code and reveal a problem with the next (or the reverse), so both
/// come back together, in arrival order within each list. Problems are also added to the decoder's
/// ``DecoderCounters``; the list here is for logging each one as it happens.
public struct DecoderOutput: Sendable, Hashable {
    /// Codes completed by this input, oldest first.
    public var codes: [ScannedCode]
    /// Problems found in this input, oldest first.
    public var errors: [DecodeError]

    public init(codes: [ScannedCode] = [], errors: [DecodeError] = []) {
        self.codes = codes
        self.errors = errors
    }

    /// True when the input produced neither a code nor an error (the common case for key releases).
    public var isEmpty: Bool { codes.isEmpty && errors.isEmpty }

    /// Appends another output after this one, keeping arrival order.
    public mutating func append(_ other: DecoderOutput) {
        codes.append(contentsOf: other.codes)
        errors.append(contentsOf: other.errors)
    }
}
