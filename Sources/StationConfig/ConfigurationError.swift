public import HumanWords

/// A configuration that cannot be used: the message names the file, the key, the value and why,
/// so a technician can fix it without reading code (exit status 2).
public struct ConfigurationError: Error, Sendable, Equatable, HumanReadable {
    /// The file, or nil for the environment or built-in defaults.
    public let source: String?
    /// The key as written (`devices[1].vendor_id`), or nil for a whole-file problem.
    public let key: String?
    /// The offending value as written, if any.
    public let value: String?
    /// Why, and what to write instead.
    public let reason: Words

    public init(source: String?, key: String? = nil, value: String? = nil, reason: Words) {
        self.source = source
        self.key = key
        self.value = value
        self.reason = reason
    }

    /// `configuration error in FILE: KEY = VALUE: REASON`, in the reader's language.
    public var words: Words {
        switch (source, key, value) {
        case let (source?, key?, value?): Words("configuration error in \(source): \(key) = \(value): \(reason)")
        case let (source?, key?, nil): Words("configuration error in \(source): \(key): \(reason)")
        case let (source?, nil, _): Words("configuration error in \(source): \(reason)")
        case let (nil, key?, value?): Words("configuration error: \(key) = \(value): \(reason)")
        case let (nil, key?, nil): Words("configuration error: \(key): \(reason)")
        case (nil, nil, _): Words("configuration error: \(reason)")
        }
    }
}
