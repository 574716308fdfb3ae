/// A configuration that cannot be used: the message names the file, the key, the value and why,
/// so a technician can fix it without reading code (exit status 2).
public struct ConfigurationError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The file, or nil for the environment or built-in defaults.
    public let source: String?
    /// The key as written (`devices[1].vendor_id`), or nil for a whole-file problem.
    public let key: String?
    /// The offending value as written, if any.
    public let value: String?
    public let reason: String

    public init(source: String?, key: String? = nil, value: String? = nil, reason: String) {
        self.source = source
        self.key = key
        self.value = value
        self.reason = reason
    }

    public var description: String {
        var text = "configuration error"
        if let source { text += " in \(source)" }
        if let key {
            text += ": \(key)"
            if let value { text += " = \(value)" }
        }
        return text + ": " + reason
    }
}
