/// A tiny, anchored pattern over an ASCII code: a sequence of literal prefixes and runs of character classes.
///
/// Carrier numbers are "prefix, then so many digits" (see notes/scanners.md); that needs neither a regex engine
/// nor Foundation. Keeping patterns as values lets the carrier table be plain data, printable for humans (the
/// ``description`` renders the equivalent regular expression) and checked by tests against the notes.
///
/// Patterns always match the whole code.
public struct CodePattern: Sendable, Hashable, CustomStringConvertible {
    /// One step of a pattern.
    public enum Segment: Sendable, Hashable {
        /// Exactly this text.
        case literal(String)
        /// One of these texts (an alternation of literals, e.g. the China Post prefixes `10|11|50|...`).
        case oneOf([String])
        /// Between `count.lowerBound` and `count.upperBound` characters of a class.
        case run(CharacterClass, count: ClosedRange<Int>)
    }

    /// A set of ASCII characters.
    public enum CharacterClass: Sendable, Hashable {
        /// `0-9`
        case digit
        /// `A-Z`
        case letter
        /// `A-Z0-9`
        case letterOrDigit
        /// Exactly the characters of this string, e.g. `"34568"` for `[3-68]`.
        case anyOf(String)

        func contains(_ byte: UInt8) -> Bool {
            switch self {
            case .digit: byte >= 0x30 && byte <= 0x39
            case .letter: byte >= 0x41 && byte <= 0x5A
            case .letterOrDigit: CharacterClass.digit.contains(byte) || CharacterClass.letter.contains(byte)
            case .anyOf(let set): set.utf8.contains(byte)
            }
        }

        var regex: String {
            switch self {
            case .digit: "\\d"
            case .letter: "[A-Z]"
            case .letterOrDigit: "[A-Z0-9]"
            case .anyOf(let set): "[\(set)]"
            }
        }
    }

    /// The steps, matched in order.
    public let segments: [Segment]

    /// Creates a pattern from its steps.
    public init(_ segments: [Segment]) {
        self.segments = segments
    }

    /// Whether the whole of `code` matches. Non-ASCII text never matches.
    public func matches(_ code: String) -> Bool {
        let bytes = Array(code.utf8)
        return match(segmentIndex: 0, bytes: bytes[...])
    }

    /// Backtracking matcher: a run of variable length tries each length, shortest first. Patterns have a handful
    /// of segments and codes are at most 40 characters, so the search is tiny.
    private func match(segmentIndex: Int, bytes: ArraySlice<UInt8>) -> Bool {
        guard segmentIndex < segments.count else { return bytes.isEmpty }
        switch segments[segmentIndex] {
        case .literal(let text):
            return matchLiteral(text, segmentIndex: segmentIndex, bytes: bytes)
        case .oneOf(let alternatives):
            return alternatives.contains { matchLiteral($0, segmentIndex: segmentIndex, bytes: bytes) }
        case .run(let characterClass, let count):
            var taken = 0
            var rest = bytes
            while taken < count.lowerBound {
                guard let byte = rest.first, characterClass.contains(byte) else { return false }
                rest = rest.dropFirst()
                taken += 1
            }
            while true {
                if match(segmentIndex: segmentIndex + 1, bytes: rest) { return true }
                guard taken < count.upperBound, let byte = rest.first, characterClass.contains(byte) else {
                    return false
                }
                rest = rest.dropFirst()
                taken += 1
            }
        }
    }

    private func matchLiteral(_ text: String, segmentIndex: Int, bytes: ArraySlice<UInt8>) -> Bool {
        let literal = Array(text.utf8)
        guard bytes.starts(with: literal) else { return false }
        return match(segmentIndex: segmentIndex + 1, bytes: bytes.dropFirst(literal.count))
    }

    /// The equivalent anchored regular expression, e.g. `^SF[A-Z0-9]\d{12}$`, for documentation and logs.
    public var description: String {
        var text = "^"
        for segment in segments {
            switch segment {
            case .literal(let literal):
                text += literal
            case .oneOf(let alternatives):
                text += "(" + alternatives.joined(separator: "|") + ")"
            case .run(let characterClass, let count):
                text += characterClass.regex
                if count.lowerBound == count.upperBound {
                    if count.lowerBound != 1 { text += "{\(count.lowerBound)}" }
                } else {
                    text += "{\(count.lowerBound),\(count.upperBound)}"
                }
            }
        }
        return text + "$"
    }
}

extension CodePattern.Segment {
    /// Exactly `count` digits.
    public static func digits(_ count: Int) -> Self { .run(.digit, count: count...count) }
    /// Between `count.lowerBound` and `count.upperBound` digits.
    public static func digits(_ count: ClosedRange<Int>) -> Self { .run(.digit, count: count) }
    /// Exactly `count` letters A-Z.
    public static func letters(_ count: Int) -> Self { .run(.letter, count: count...count) }
    /// Exactly `count` characters of A-Z0-9.
    public static func lettersOrDigits(_ count: Int) -> Self { .run(.letterOrDigit, count: count...count) }
    /// Exactly one character out of `set`.
    public static func oneCharacter(of set: String) -> Self { .run(.anyOf(set), count: 1...1) }
}

extension CodePattern {
    /// The shape of a UPU S10 item identifier: two letters, eight serial digits, a check digit, a country code
    /// (`EA123456785CN`). Used by validity (§5.5) and by the carrier table, so there is one definition.
    public static let s10 = CodePattern([.letters(2), .digits(9), .letters(2)])
}
