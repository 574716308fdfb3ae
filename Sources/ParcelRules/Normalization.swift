/// A scan's text after SPEC §5.1 normalisation, with the raw text kept beside it.
///
/// Scanners decorate the same label differently (an AIM prefix when "transmit AIM ID" is on, CR/LF/Tab suffixes,
/// padding spaces, inverted case when Caps Lock is on at the host). Every later rule — command cards, validity,
/// duplicates, lifecycle — compares ``code``, so one label always means one parcel; ``raw`` is kept for disputes.
public struct NormalizedScan: Sendable, Hashable {
    /// The text exactly as the decoder delivered it.
    public let raw: String
    /// The normalised code: AIM identifier, terminators and surrounding spaces removed; ASCII letters upper-cased.
    public let code: String
    /// The AIM symbology identifier (`]` + code character + modifier, e.g. `]C0`), or `nil` if none was seen.
    ///
    /// A symbology reported out of band by the device (HID POS) wins over one found at the start of the text,
    /// because it cannot be confused with data. It is kept as read, not upper-cased: AIM code characters are
    /// case-sensitive (`]E0` is EAN-13, `]e0` GS1 DataBar).
    public let symbology: String?

    /// Normalises a scan.
    ///
    /// - Parameters:
    ///   - raw: the decoded text, terminators and all.
    ///   - reportedSymbology: the AIM identifier the device reported separately (HID POS bytes 2-4), if any;
    ///     blank values count as none.
    public init(raw: String, reportedSymbology: String? = nil) {
        self.raw = raw
        var scalars = Self.trimmed(Substring(raw).unicodeScalars[...])
        var inBand: String?
        if Self.startsWithAIMIdentifier(scalars) {
            let end = scalars.index(scalars.startIndex, offsetBy: 3)
            inBand = String(String.UnicodeScalarView(scalars[..<end]))
            scalars = Self.trimmed(scalars[end...])
        }
        var upper = String.UnicodeScalarView()
        for scalar in scalars {
            upper.append(Self.asciiUppercased(scalar))
        }
        self.code = String(upper)
        let reported = reportedSymbology.map { String(String.UnicodeScalarView(Self.trimmed($0.unicodeScalars[...]))) }
        if let reported, !reported.isEmpty {
            self.symbology = reported
        } else {
            self.symbology = inBand
        }
    }

    /// Terminators and spaces that surround a code: CR, LF and Tab end a keyboard-wedge or serial read; spaces
    /// pad fixed-width output; U+3000 is the ideographic space a Chinese input method types on manual entry.
    static func isSurrounding(_ scalar: Unicode.Scalar) -> Bool {
        scalar == " " || scalar == "\r" || scalar == "\n" || scalar == "\t" || scalar == "\u{3000}"
    }

    static func trimmed(_ scalars: Substring.UnicodeScalarView.SubSequence) -> Substring.UnicodeScalarView.SubSequence {
        var slice = scalars
        while let first = slice.first, isSurrounding(first) { slice.removeFirst() }
        while let last = slice.last, isSurrounding(last) { slice.removeLast() }
        return slice
    }

    /// An AIM identifier (ISO/IEC 15424) is `]`, a code character (a letter) and a modifier (a letter or digit).
    /// Anything else starting with `]` is left in place and will be rejected as bad characters, not silently eaten.
    static func startsWithAIMIdentifier(_ scalars: Substring.UnicodeScalarView.SubSequence) -> Bool {
        var iterator = scalars.makeIterator()
        guard iterator.next() == "]", let codeCharacter = iterator.next(), let modifier = iterator.next() else {
            return false
        }
        return isASCIILetter(codeCharacter) && (isASCIILetter(modifier) || isASCIIDigit(modifier))
    }

    /// Only ASCII letters are folded: a parcel code is A-Z0-9, and anything else must reach validity unchanged
    /// so it is rejected rather than mapped onto a look-alike.
    static func asciiUppercased(_ scalar: Unicode.Scalar) -> Unicode.Scalar {
        guard scalar.value >= 0x61, scalar.value <= 0x7A, let upper = Unicode.Scalar(scalar.value - 0x20) else {
            return scalar
        }
        return upper
    }

    static func isASCIILetter(_ scalar: Unicode.Scalar) -> Bool {
        (scalar.value >= 0x41 && scalar.value <= 0x5A) || (scalar.value >= 0x61 && scalar.value <= 0x7A)
    }

    static func isASCIIDigit(_ scalar: Unicode.Scalar) -> Bool {
        scalar.value >= 0x30 && scalar.value <= 0x39
    }
}
