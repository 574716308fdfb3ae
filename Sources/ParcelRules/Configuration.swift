/// The configuration the scan rules depend on (SPEC §3), already parsed from TOML by the caller.
public struct RuleConfiguration: Sendable, Hashable {
    /// The configuration key of ``duplicateWindowSeconds``.
    public static let duplicateWindowKey = "duplicate_window_seconds"
    /// The default duplicate window, in seconds (SPEC §3).
    public static let defaultDuplicateWindowSeconds = 5
    /// The accepted values of ``duplicateWindowSeconds``: 0 disables duplicate suppression; more than a day
    /// would suppress a parcel genuinely scanned again the next morning, and cannot be what was meant.
    public static let duplicateWindowRange = 0...86_400
    /// How far back `#STATION:UNDO` reaches (SPEC §5.8: 10 minutes). Fixed by the contract, not configurable.
    public static let undoWindowSeconds = 600

    /// A repeat of the same code on the same device in the same direction within this many seconds of the last
    /// counted one is a `duplicate` (§5.4).
    public let duplicateWindowSeconds: Int

    /// The defaults of SPEC §3.
    public init() {
        self.duplicateWindowSeconds = Self.defaultDuplicateWindowSeconds
    }

    /// Validates and creates a configuration.
    ///
    /// - Parameter duplicateWindowSeconds: the value of `duplicate_window_seconds`.
    /// - Throws: ``RuleConfigurationError`` naming the key, the value and why, for the exit-2 message.
    public init(duplicateWindowSeconds: Int) throws(RuleConfigurationError) {
        guard Self.duplicateWindowRange.contains(duplicateWindowSeconds) else {
            throw RuleConfigurationError(
                key: Self.duplicateWindowKey, value: String(duplicateWindowSeconds),
                problem: "must be between \(Self.duplicateWindowRange.lowerBound) and "
                    + "\(Self.duplicateWindowRange.upperBound) seconds")
        }
        self.duplicateWindowSeconds = duplicateWindowSeconds
    }

    var duplicateWindowNanos: Int64 { Int64(duplicateWindowSeconds) * 1_000_000_000 }
    static var undoWindowNanos: Int64 { Int64(undoWindowSeconds) * 1_000_000_000 }
}

/// A configuration value the rules cannot work with. SPEC §2: the message names the key, the value and why.
public struct RuleConfigurationError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The configuration key, e.g. `duplicate_window_seconds`.
    public let key: String
    /// The offending value as written.
    public let value: String
    /// Why it is wrong, in words.
    public let problem: String

    public var description: String { "\(key) = \(value): \(problem)" }
}
