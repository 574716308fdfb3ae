import CSQLite
#if canImport(Glibc)
import Glibc
#endif

/// What SQLite reported: its primary and extended result codes, its message, and the OS error behind it.
struct SQLiteFailure: Error, Sendable, CustomStringConvertible {
    var code: Int32
    var extendedCode: Int32
    var message: String
    var systemErrno: Int32

    var primary: Int32 { code & 0xFF }

    /// Faults of the medium rather than of the data: worth keeping the scans and retrying (SD card full, file
    /// system remounted read-only after an error, a flaky card, another process holding the lock).
    var isRetryable: Bool {
        [SQLITE_FULL, SQLITE_READONLY, SQLITE_IOERR, SQLITE_BUSY, SQLITE_LOCKED, SQLITE_CANTOPEN, SQLITE_NOMEM,
         SQLITE_PROTOCOL].contains(primary)
    }

    /// The file is not a database, or is damaged.
    var isCorruption: Bool { primary == SQLITE_CORRUPT || primary == SQLITE_NOTADB }

    var description: String {
        var text = "\(message) (SQLite code \(extendedCode)"
        if systemErrno != 0 { text += ", errno \(systemErrno)" }
        return text + ")"
    }
}

/// One SQLite connection, used by one thread at a time (the writer's, or one reader's).
final class Connection {
    let handle: OpaquePointer
    let path: String
    private var statements: [String: OpaquePointer] = [:]

    init(path: String, flags: Int32) throws(SQLiteFailure) {
        var handle: OpaquePointer?
        let result = sqlite3_open_v2(path, &handle, flags | SQLITE_OPEN_NOMUTEX, nil)
        guard result == SQLITE_OK, let handle else {
            let failure = SQLiteFailure(
                code: result, extendedCode: handle.map { sqlite3_extended_errcode($0) } ?? result,
                message: handle.map { String(cString: sqlite3_errmsg($0)) } ?? String(cString: sqlite3_errstr(result)),
                systemErrno: handle.map { sqlite3_system_errno($0) } ?? 0)
            if let handle { sqlite3_close_v2(handle) }
            throw failure
        }
        sqlite3_extended_result_codes(handle, 1)
        // Before any statement reads the file's schema: it may have been planted (SPEC's trust boundary).
        let hardened = station_sqlite_harden(handle)
        guard hardened == SQLITE_OK else {
            let failure = SQLiteFailure(
                code: hardened, extendedCode: hardened, message: String(cString: sqlite3_errstr(hardened)),
                systemErrno: 0)
            sqlite3_close_v2(handle)
            throw failure
        }
        self.handle = handle
        self.path = path
        self.deadline = UnsafeMutablePointer<UInt64>.allocate(capacity: 1)
        self.deadline.initialize(to: 0)
    }

    /// When the running statement must stop (CLOCK_MONOTONIC ns; 0: never). Read by the progress handler, which
    /// SQLite calls on this connection's thread while a statement runs.
    private let deadline: UnsafeMutablePointer<UInt64>
    /// The longest any one statement may run, if bounded (``setStatementTimeLimit(nanoseconds:)``).
    private(set) var statementTimeLimitNanos: UInt64?

    /// Bounds every later statement to `nanoseconds` (nil: unbounded): past it the statement fails with
    /// `SQLITE_INTERRUPT`. For `doctor` and `verify`, which must answer even on a damaged or planted file.
    func setStatementTimeLimit(nanoseconds: UInt64?) {
        statementTimeLimitNanos = nanoseconds
        guard nanoseconds != nil else {
            sqlite3_progress_handler(handle, 0, nil, nil)
            return
        }
        sqlite3_progress_handler(
            handle, 10_000,
            { raw in
                guard let raw else { return 0 }
                let deadline = raw.assumingMemoryBound(to: UInt64.self).pointee
                return deadline != 0 && monotonicNow() > deadline ? 1 : 0
            }, UnsafeMutableRawPointer(deadline))
    }

    /// Starts the clock of ``statementTimeLimitNanos`` for the statement about to run.
    private func armDeadline() {
        guard let limit = statementTimeLimitNanos else { return }
        deadline.pointee = monotonicNow() &+ limit
    }

    private var isClosed = false

    deinit {
        close()
    }

    /// Finalises the cached statements and closes the connection (the last one checkpoints the WAL).
    func close() {
        guard !isClosed else { return }
        isClosed = true
        for statement in statements.values { sqlite3_finalize(statement) }
        statements = [:]
        sqlite3_progress_handler(handle, 0, nil, nil)
        sqlite3_close_v2(handle)
        deadline.deallocate()
    }

    func failure(_ code: Int32) -> SQLiteFailure {
        SQLiteFailure(
            code: code, extendedCode: sqlite3_extended_errcode(handle), message: String(cString: sqlite3_errmsg(handle)),
            systemErrno: sqlite3_system_errno(handle))
    }

    /// Runs SQL without results (several statements allowed).
    func execute(_ sql: String) throws(SQLiteFailure) {
        armDeadline()
        let result = sqlite3_exec(handle, sql, nil, nil, nil)
        guard result == SQLITE_OK else { throw failure(result) }
    }

    /// Whether no transaction is open (after a failed statement SQLite may have rolled back on its own).
    var isAutocommit: Bool { sqlite3_get_autocommit(handle) != 0 }

    /// Runs `body` in one write transaction (`BEGIN IMMEDIATE`, so the write lock is taken, or waited for, before
    /// anything is read): committed if `body` returns, rolled back if it or the commit throws (unless SQLite already
    /// rolled back on its own, as it does after some failures). Like GRDB's `inTransaction`.
    func inTransaction<T>(_ body: () throws(SQLiteFailure) -> T) throws(SQLiteFailure) -> T {
        try execute("BEGIN IMMEDIATE")
        do {
            let result = try body()
            try execute("COMMIT")
            return result
        } catch {
            if !isAutocommit { try? execute("ROLLBACK") }
            throw error
        }
    }

    /// Runs a cached prepared statement: binds, steps through every row, and resets it.
    func query(_ sql: String, _ values: [SQLValue] = [], row: (Row) throws(SQLiteFailure) -> Void = { _ in })
        throws(SQLiteFailure)
    {
        let statement = try prepared(sql)
        armDeadline()
        defer {
            sqlite3_reset(statement)
            sqlite3_clear_bindings(statement)
        }
        for (index, value) in values.enumerated() {
            let position = Int32(index + 1)
            let result: Int32
            switch value {
            case .null: result = sqlite3_bind_null(statement, position)
            case .integer(let v): result = sqlite3_bind_int64(statement, position, v)
            case .text(let v): result = sqlite3_bind_text(statement, position, v, -1, station_sqlite_transient())
            case .blob(let v):
                result = v.withUnsafeBytes {
                    sqlite3_bind_blob(statement, position, $0.baseAddress ?? UnsafeRawPointer(bitPattern: 1), Int32($0.count),
                        station_sqlite_transient())
                }
            }
            guard result == SQLITE_OK else { throw failure(result) }
        }
        while true {
            let result = sqlite3_step(statement)
            if result == SQLITE_DONE { return }
            guard result == SQLITE_ROW else { throw failure(result) }
            try row(Row(statement: statement))
        }
    }

    /// The first row's first column as an integer, if any.
    func scalar(_ sql: String, _ values: [SQLValue] = []) throws(SQLiteFailure) -> Int64? {
        var value: Int64?
        try query(sql, values) { (row: Row) throws(SQLiteFailure) in
            if value == nil, !row.isNull(0) { value = row.int(0) }
        }
        return value
    }

    /// Every row's first column as text.
    func texts(_ sql: String) throws(SQLiteFailure) -> [String] {
        var values: [String] = []
        try query(sql) { (row: Row) throws(SQLiteFailure) in values.append(row.text(0) ?? "") }
        return values
    }

    var lastInsertRowID: Int64 { sqlite3_last_insert_rowid(handle) }
    var changes: Int { Int(sqlite3_changes(handle)) }

    private func prepared(_ sql: String) throws(SQLiteFailure) -> OpaquePointer {
        if let statement = statements[sql] { return statement }
        var statement: OpaquePointer?
        let result = sqlite3_prepare_v3(handle, sql, -1, UInt32(SQLITE_PREPARE_PERSISTENT), &statement, nil)
        guard result == SQLITE_OK, let statement else { throw failure(result) }
        statements[sql] = statement
        return statement
    }

    /// Drops cached statements (after a schema change).
    func resetStatementCache() {
        for statement in statements.values { sqlite3_finalize(statement) }
        statements = [:]
    }
}

/// A value bound to a statement parameter.
enum SQLValue: Hashable {
    case null
    case integer(Int64)
    case text(String)
    case blob([UInt8])

    init(_ text: String?) { self = text.map { .text($0) } ?? .null }
    init(_ integer: Int64?) { self = integer.map { .integer($0) } ?? .null }
}

/// The current row of a stepping statement.
struct Row {
    let statement: OpaquePointer

    func isNull(_ column: Int32) -> Bool { sqlite3_column_type(statement, column) == SQLITE_NULL }
    func int(_ column: Int32) -> Int64 { sqlite3_column_int64(statement, column) }
    func optionalInt(_ column: Int32) -> Int64? { isNull(column) ? nil : int(column) }
    func text(_ column: Int32) -> String? {
        guard let pointer = sqlite3_column_text(statement, column) else { return nil }
        return String(cString: pointer)
    }
    /// A text column's bytes exactly (`sqlite3_column_bytes`, so an embedded NUL cannot hide what follows it).
    func textBytes(_ column: Int32) -> [UInt8] {
        let count = Int(sqlite3_column_bytes(statement, column))
        guard count > 0, let pointer = sqlite3_column_text(statement, column) else { return [] }
        return Array(UnsafeBufferPointer(start: pointer, count: count))
    }

    /// The column's storage class (`SQLITE_INTEGER`, `SQLITE_TEXT`, ...).
    func type(_ column: Int32) -> Int32 { sqlite3_column_type(statement, column) }
    func double(_ column: Int32) -> Double { sqlite3_column_double(statement, column) }

    func blob(_ column: Int32) -> [UInt8] {
        let count = Int(sqlite3_column_bytes(statement, column))
        guard count > 0, let pointer = sqlite3_column_blob(statement, column) else { return [] }
        return Array(UnsafeRawBufferPointer(start: pointer, count: count))
    }
}

/// CLOCK_MONOTONIC in nanoseconds, for statement deadlines.
private func monotonicNow() -> UInt64 {
    var now = timespec()
    clock_gettime(CLOCK_MONOTONIC, &now)
    return UInt64(now.tv_sec) &* 1_000_000_000 &+ UInt64(now.tv_nsec)
}
