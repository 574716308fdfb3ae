import CSQLite
import StationTime
import Synchronization

/// The version of a count file the store acknowledged (SPEC §8): exactly these bytes (by SHA-256), at this key.
public struct UploadRecord: Sendable, Equatable {
    /// The `[upload]` url the file went to.
    public var target: String
    /// The count file's name in the outbox.
    public var file: String
    /// Where the store holds it (`s3://bucket/prefix/…` or the https URL).
    public var key: String
    /// Hex SHA-256 of the bytes the store confirmed.
    public var sha256: String
    public var size: Int64
    /// Wall clock (UTC ns) when the store's answer came.
    public var ackedAtNanos: Int64
    public var status: Int
    public var etag: String?
    /// The store's answer in one line.
    public var answer: String

    public init(target: String, file: String, key: String, sha256: String, size: Int64, ackedAtNanos: Int64, status: Int,
                etag: String?, answer: String) {
        self.target = target
        self.file = file
        self.key = key
        self.sha256 = sha256
        self.size = size
        self.ackedAtNanos = ackedAtNanos
        self.status = status
        self.etag = etag
        self.answer = answer
    }
}

/// What keeps a target's files waiting, since when.
public struct UploadProblem: Sendable, Equatable {
    public var target: String
    /// Stable across retries of one problem (e.g. `credentials:SignatureDoesNotMatch`).
    public var kind: String
    public var message: String
    public var sinceNanos: Int64
    public var lastNanos: Int64
    public var attempts: Int

    public init(target: String, kind: String, message: String, sinceNanos: Int64, lastNanos: Int64, attempts: Int) {
        self.target = target
        self.kind = kind
        self.message = message
        self.sinceNanos = sinceNanos
        self.lastNanos = lastNanos
        self.attempts = attempts
    }
}

/// The upload ledger in the journal's database (tables `uploads` and `upload_problems`, schema v4), on a
/// connection of its own: the uploader's thread writes it while the journal's writer commits scans, and each write
/// is one short transaction with the journal's fsync discipline (WAL, `synchronous=FULL`). A record is written
/// only after the store confirmed the bytes, so a power cut mid-upload leaves the file unacknowledged and it is
/// sent again.
public final class UploadLedger: @unchecked Sendable {
    public let path: String
    // Used only under `lock`.
    private let connection: Connection
    private let lock = Mutex(())
    public let isReadOnly: Bool

    /// Opens the ledger for writing (creating or migrating the journal as the writer does).
    public init(dataDirectory: String) throws(JournalError) {
        let path = ScanJournal.path(dataDirectory: dataDirectory)
        self.path = path
        self.isReadOnly = false
        self.connection = try Schema.openForWriting(
            dataDirectory: dataDirectory, path: path, maximumPageCount: nil, checkIntegrity: false)
    }

    /// Opens the ledger read-only (`upload --status`, `doctor`).
    public init(readingDataDirectory dataDirectory: String) throws(JournalError) {
        let path = ScanJournal.path(dataDirectory: dataDirectory)
        self.path = path
        self.isReadOnly = true
        self.connection = try Schema.openForReading(path: path, statementTimeLimitNanos: 10_000_000_000)
    }

    private func run<T>(_ body: (Connection) throws(SQLiteFailure) -> T) throws(JournalError) -> T {
        do {
            return try lock.withLock { _ throws(SQLiteFailure) -> T in try body(connection) }
        } catch {
            throw Schema.classify(error, path: path, opening: false)
        }
    }

    /// Every acknowledged file of `target`, by file name.
    public func records(target: String) throws(JournalError) -> [String: UploadRecord] {
        try run { (connection) throws(SQLiteFailure) in
            var result: [String: UploadRecord] = [:]
            try connection.query(
                "SELECT file, key, sha256, size, acked_at_ns, status, etag, answer FROM uploads WHERE target = ?",
                [.text(target)]
            ) { row in
                let record = UploadRecord(
                    target: target, file: row.text(0) ?? "", key: row.text(1) ?? "", sha256: row.text(2) ?? "",
                    size: row.int(3), ackedAtNanos: row.int(4), status: Int(row.int(5)), etag: row.text(6),
                    answer: row.text(7) ?? "")
                result[record.file] = record
            }
            return result
        }
    }

    /// Records what the store confirmed, and clears the target's problem (the store works).
    public func acknowledge(_ record: UploadRecord) throws(JournalError) {
        try run { (connection) throws(SQLiteFailure) in
            try connection.inTransaction { () throws(SQLiteFailure) in
                try connection.query(
                    """
                    INSERT INTO uploads (target, file, key, sha256, size, acked_at_ns, status, etag, answer)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
                    ON CONFLICT (target, file) DO UPDATE SET key = excluded.key, sha256 = excluded.sha256,
                        size = excluded.size, acked_at_ns = excluded.acked_at_ns, status = excluded.status,
                        etag = excluded.etag, answer = excluded.answer
                    """,
                    [.text(record.target), .text(record.file), .text(record.key), .text(record.sha256),
                     .integer(record.size), .integer(record.ackedAtNanos), .integer(Int64(record.status)),
                     record.etag.map { .text($0) } ?? .null, .text(record.answer)])
                try connection.query("DELETE FROM upload_problems WHERE target = ?", [.text(record.target)])
            }
        }
    }

    /// The problem that keeps `target`'s files waiting, if any.
    public func problem(target: String) throws(JournalError) -> UploadProblem? {
        try run { (connection) throws(SQLiteFailure) in
            try Self.problem(target: target, connection)
        }
    }

    /// Records a failed attempt: a new kind of problem starts its own "since"; the same kind counts one more attempt.
    @discardableResult
    public func recordProblem(target: String, kind: String, message: String, atNanos: Int64) throws(JournalError) -> UploadProblem {
        try run { (connection) throws(SQLiteFailure) in
            try connection.inTransaction { () throws(SQLiteFailure) in
                try connection.query(
                    """
                    INSERT INTO upload_problems (target, kind, message, since_ns, last_ns, attempts) VALUES (?, ?, ?, ?, ?, 1)
                    ON CONFLICT (target) DO UPDATE SET
                        since_ns = CASE WHEN kind = excluded.kind THEN since_ns ELSE excluded.since_ns END,
                        attempts = CASE WHEN kind = excluded.kind THEN attempts + 1 ELSE 1 END,
                        kind = excluded.kind, message = excluded.message, last_ns = excluded.last_ns
                    """,
                    [.text(target), .text(kind), .text(message), .integer(atNanos), .integer(atNanos)])
                return try Self.problem(target: target, connection) ?? UploadProblem(target: target, kind: kind, message: message, sinceNanos: atNanos, lastNanos: atNanos, attempts: 1)
            }
        }
    }

    private static func problem(target: String, _ connection: Connection) throws(SQLiteFailure) -> UploadProblem? {
        var result: UploadProblem?
        try connection.query(
            "SELECT kind, message, since_ns, last_ns, attempts FROM upload_problems WHERE target = ?", [.text(target)]
        ) { row in
            result = UploadProblem(
                target: target, kind: row.text(0) ?? "", message: row.text(1) ?? "", sinceNanos: row.int(2),
                lastNanos: row.int(3), attempts: Int(row.int(4)))
        }
        return result
    }

    public func close() {
        lock.withLock { _ in connection.close() }
    }
}
