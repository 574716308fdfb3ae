public import StoreClient

/// What the uploader is doing, for the systemd STATUS line and `doctor` (SPEC §8).
public struct UploadStatus: Sendable, Equatable {
    /// Files not acknowledged in their present bytes.
    public var waiting: Int = 0
    /// When the oldest of them started waiting (UTC ns): the first failed attempt of the current problem, or nil.
    public var waitingSinceNanos: Int64?
    /// The problem that keeps them waiting, in a few words (`store refuses the secret`), or nil.
    public var problem: String?
    /// The last time every file was acknowledged (UTC ns).
    public var allSentAtNanos: Int64?

    public init() {}

    /// `2 files waiting since 3 days: store refuses the secret`, `all count files sent`, `1 file waiting`.
    public func line(nowNanos: Int64) -> String {
        guard waiting > 0 else { return "upload: all count files sent" }
        var text = "upload: \(waiting) file\(waiting == 1 ? "" : "s") waiting"
        if let since = waitingSinceNanos { text += " since " + Self.age(nowNanos - since) }
        if let problem { text += ": " + problem }
        return text
    }

    /// `40 s`, `12 min`, `5 h`, `3 days`.
    public static func age(_ nanos: Int64) -> String {
        let seconds = max(0, nanos / 1_000_000_000)
        if seconds < 120 { return "\(seconds) s" }
        if seconds < 7_200 { return "\(seconds / 60) min" }
        if seconds < 172_800 { return "\(seconds / 3_600) h" }
        return "\(seconds / 86_400) days"
    }
}

extension StoreError {
    /// A few words for a status line: what is wrong, not the fix (the log and `doctor` give that).
    public var statusWords: String {
        switch self {
        case .unreachable: "store unreachable"
        case .timedOut: "store does not answer in time"
        case .tls: "store's TLS certificate not trusted"
        case .credentials: "store refuses the secret"
        case .clockSkew: "store refuses this box's clock"
        case .noBucket: "no such bucket on the store"
        case .tooLarge: "store refuses a file as too large"
        case .storeFull: "store is full"
        case .server(let status, _, _): "store answers \(status)"
        case .badReply: "store's answer does not confirm the bytes"
        case .settings: "upload settings cannot work"
        }
    }
}
