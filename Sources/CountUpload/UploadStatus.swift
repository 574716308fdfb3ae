public import HumanWords
public import StoreClient

/// What the uploader is doing, for the systemd STATUS line and `doctor` (SPEC §8).
public struct UploadStatus: Sendable, Equatable {
    /// Files not acknowledged in their present bytes.
    public var waiting: Int = 0
    /// When the oldest of them started waiting (UTC ns): the first failed attempt of the current problem, or nil.
    public var waitingSinceNanos: Int64?
    /// The problem that keeps them waiting, in a few words (`store refuses the secret`), or nil.
    public var problem: Words?
    /// The last time every file was acknowledged (UTC ns).
    public var allSentAtNanos: Int64?

    public init() {}

    /// `2 files waiting since 3 days: store refuses the secret`, `all count files sent`, `1 file waiting`.
    public func line(nowNanos: Int64) -> Words {
        guard waiting > 0 else { return Words("upload: all count files sent") }
        let files = waiting == 1 ? Words("1 file") : Words("\(waiting) files")
        switch (waitingSinceNanos, problem) {
        case let (since?, problem?): return Words("upload: \(files) waiting since \(Self.age(nowNanos - since)): \(problem)")
        case let (since?, nil): return Words("upload: \(files) waiting since \(Self.age(nowNanos - since))")
        case let (nil, problem?): return Words("upload: \(files) waiting: \(problem)")
        case (nil, nil): return Words("upload: \(files) waiting")
        }
    }

    /// `40 s`, `12 min`, `5 h`, `3 days`.
    public static func age(_ nanos: Int64) -> Words {
        let seconds = max(0, nanos / 1_000_000_000)
        if seconds < 120 { return Words("\(seconds) s") }
        if seconds < 7_200 { return Words("\(seconds / 60) min") }
        if seconds < 172_800 { return Words("\(seconds / 3_600) h") }
        return Words("\(seconds / 86_400) days")
    }
}

extension StoreError {
    /// A few words for a status line: what is wrong, not the fix (the log and `doctor` give that).
    public var statusWords: Words {
        switch self {
        case .unreachable: Words("store unreachable")
        case .timedOut: Words("store does not answer in time")
        case .tls: Words("store's TLS certificate not trusted")
        case .credentials: Words("store refuses the secret")
        case .clockSkew: Words("store refuses this box's clock")
        case .noBucket: Words("no such bucket on the store")
        case .tooLarge: Words("store refuses a file as too large")
        case .storeFull: Words("store is full")
        case .server(let status, _, _): Words("store answers \(status)")
        case .badReply: Words("store's answer does not confirm the bytes")
        case .settings: Words("upload settings cannot work")
        }
    }
}
