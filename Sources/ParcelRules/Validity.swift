/// Why an event was not an ordinary counted parcel: rejects (§5.5) and notes on commands (§5.3, §5.8).
///
/// The raw values are stable: the journal stores them in its `reason` column and `scans --json` prints them, so
/// a supervisor's script can rely on them. Add cases; never rename one.
public enum Reason: String, Sendable, Hashable, CaseIterable {
    /// Rejected: after normalisation the code is not 8-40 characters long.
    case badLength = "bad_length"
    /// Rejected: the code contains something other than A-Z and 0-9 (punctuation, Chinese characters, ...).
    case badCharacters = "bad_characters"
    /// Rejected: a retail product barcode (AIM `]E…`, or a Chinese EAN-13 690-699 with a valid check digit),
    /// scanned off the goods instead of the waybill.
    case productBarcode = "product_barcode"
    /// Rejected: shaped like a UPU S10 identifier but its check digit is wrong — a misread, not a parcel.
    case s10CheckDigit = "s10_check_digit"
    /// A mode card read by an `inbound` or `outbound` device: ignored, recorded so a technician can see it.
    case modeCardIgnored = "mode_card_ignored"
    /// `#STATION:UNDO` found no counted parcel event of that device in the last 10 minutes.
    case nothingToUndo = "nothing_to_undo"
    /// `#STATION:UNDO` found the device's newest event, but a later counted event on the same parcel (from
    /// another device) depends on it; cancelling it would corrupt that parcel's history, so nothing is undone.
    case undoSuperseded = "undo_superseded"

    /// Whether this reason belongs to a `rejected` scan (as opposed to a note on a command).
    public var isRejection: Bool {
        switch self {
        case .badLength, .badCharacters, .productBarcode, .s10CheckDigit: true
        case .modeCardIgnored, .nothingToUndo, .undoSuperseded: false
        }
    }
}

/// The validity rule of SPEC §5.5, applied to a normalised scan that is not a command card.
public enum Validity {
    /// The accepted length of a parcel code, in characters.
    public static let lengthRange = 8...40

    /// The reason a scan is not a parcel code, or `nil` if it is one.
    ///
    /// The checks run from the most telling reason to the least: a product symbology says more than the
    /// characters it carries; bad characters say more than a bad length (a Chinese text is "not a code", not
    /// "too short").
    public static func rejection(for scan: NormalizedScan) -> Reason? {
        if let symbology = scan.symbology, symbology.hasPrefix("]E") { return .productBarcode }
        let code = scan.code
        guard code.unicodeScalars.allSatisfy(isCodeCharacter) else { return .badCharacters }
        guard lengthRange.contains(code.utf8.count) else { return .badLength }
        if isChineseRetailEAN13(code) { return .productBarcode }
        if CodePattern.s10.matches(code), !CheckDigits.isValidS10(code) { return .s10CheckDigit }
        return nil
    }

    /// A-Z and 0-9, ASCII only.
    static func isCodeCharacter(_ scalar: Unicode.Scalar) -> Bool {
        (scalar.value >= 0x30 && scalar.value <= 0x39) || (scalar.value >= 0x41 && scalar.value <= 0x5A)
    }

    /// 13 digits with GS1 prefix 690-699 (China) and a valid EAN-13 check digit. An invalid check digit means it is
    /// not a product barcode after all, so such a code goes on to the carrier table like any other number.
    static func isChineseRetailEAN13(_ code: String) -> Bool {
        let bytes = Array(code.utf8)
        guard bytes.count == 13, bytes[0] == UInt8(ascii: "6"), bytes[1] == UInt8(ascii: "9") else { return false }
        return CheckDigits.isValidEAN13(code)
    }
}
