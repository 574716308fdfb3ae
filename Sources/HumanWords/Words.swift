/// A sentence a person reads, kept as its English template with the values filled in, so it can be said in either
/// language when it is printed (SPEC §2). Write one as a string literal — `Words("\(path) is not writable")` — and
/// each interpolated value becomes a placeholder: the template is `"{1} is not writable"`, the key of its Chinese in
/// ``Catalog``. A value that is itself ``Words`` (or ``HumanReadable``, like the project's errors) is said in the
/// same language; any other value is printed as it is (paths, codes, numbers, configuration values).
///
/// `description` is the English, so logs, JSON and tests that read English keep reading it unchanged.
public struct Words: Sendable, Hashable, CustomStringConvertible, ExpressibleByStringInterpolation {
    /// A filled-in value: text printed as it is, or words said in the reader's language.
    public enum Value: Sendable, Hashable {
        case text(String)
        case words(Words)
    }

    /// The English with `{1}`, `{2}` … for the values, as in the catalog.
    public let template: String
    public let values: [Value]

    public init(template: String, values: [Value] = []) {
        self.template = template
        self.values = values
    }

    public init(stringLiteral value: String) {
        self.init(template: value)
    }

    public init(stringInterpolation: Interpolation) {
        self.init(template: stringInterpolation.template, values: stringInterpolation.values)
    }

    /// Text from elsewhere that has no translation (a C library's message, a file's contents): printed as it is.
    public static func verbatim(_ text: String) -> Words {
        Words(template: "{1}", values: [.text(text)])
    }

    /// A command to run (`chmod 0640 …`), printed as it is in every language.
    public static func command(_ text: String) -> Words {
        verbatim(text)
    }

    /// The sentence in `language`: the catalog's Chinese of the template (English when it has none), values filled in.
    public func text(_ language: HumanLanguage) -> String {
        let pattern = language == .zh ? (Catalog.chinese[template] ?? template) : template
        guard !values.isEmpty else { return pattern }
        var result = ""
        var rest = pattern[...]
        while let open = rest.firstIndex(of: "{") {
            result += rest[..<open]
            let afterOpen = rest.index(after: open)
            if let close = rest[afterOpen...].firstIndex(of: "}"), let number = Int(rest[afterOpen..<close]),
               number >= 1, number <= values.count {
                switch values[number - 1] {
                case .text(let text): result += text
                case .words(let words): result += words.text(language)
                }
                rest = rest[rest.index(after: close)...]
            } else {
                result += "{"
                rest = rest[afterOpen...]
            }
        }
        return result + rest
    }

    public var description: String { text(.en) }

    /// Equal when they say the same in English (a literal equals the sentence it reads as, whatever its values).
    public static func == (left: Words, right: Words) -> Bool {
        left.description == right.description
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(description)
    }

    public struct Interpolation: StringInterpolationProtocol {
        public private(set) var template = ""
        public private(set) var values: [Value] = []

        public init(literalCapacity: Int, interpolationCount: Int) {
            template.reserveCapacity(literalCapacity + 4 * interpolationCount)
            values.reserveCapacity(interpolationCount)
        }

        public mutating func appendLiteral(_ literal: String) {
            template += literal
        }

        public mutating func appendInterpolation(_ words: Words) {
            append(.words(words))
        }

        /// Any value: said in the reader's language when it is ``HumanReadable`` (an error of this project), else as
        /// Swift prints it.
        public mutating func appendInterpolation<T>(_ value: T) {
            if let readable = value as? any HumanReadable {
                append(.words(readable.words))
            } else {
                append(.text(String(describing: value)))
            }
        }

        mutating func append(_ value: Value) {
            values.append(value)
            template += "{\(values.count)}"
        }
    }
}

/// Something with a sentence for people (the project's typed errors): interpolated into ``Words`` it is said in the
/// reader's language.
public protocol HumanReadable: CustomStringConvertible {
    var words: Words { get }
}

extension HumanReadable {
    public var description: String { words.description }
}
