#if canImport(Glibc)
import Glibc
#endif

/// A fresh directory under /tmp for one test, removed by ``remove()``; the journal's and the outbox's places in it.
public struct TemporaryDirectory: Sendable {
    public let path: String

    public struct CannotCreate: Error, CustomStringConvertible {
        public let errno: Int32
        public var description: String { "mkdtemp failed: errno \(errno)" }
    }

    /// `/tmp/<prefix>-XXXXXX`.
    public init(prefix: String = "station-agent-test") throws {
        var template = Array("/tmp/\(prefix)-XXXXXX".utf8CString)
        guard let result = mkdtemp(&template) else { throw CannotCreate(errno: errno) }
        path = String(cString: result)
    }

    /// The data directory used by a test (created by the journal itself).
    public var dataDirectory: String { path + "/data" }
    public var journalPath: String { dataDirectory + "/journal.sqlite3" }
    public var outbox: String { path + "/outbox" }

    public func remove() {
        Self.remove(path)
    }

    /// Removes the directory at `path` with everything in it.
    public static func remove(_ path: String) {
        _ = runProcess(["/bin/rm", "-rf", path])
    }
}
