import CSQLite
import StationTime
#if canImport(Glibc)
import Glibc
#endif

/// One step of the schema: SQL, and work SQL cannot do (hashing) run after it in the same transaction.
struct Migration: Sendable {
    let sql: String
    let then: (@Sendable (Connection) throws(SQLiteFailure) -> Void)?

    init(_ sql: String, then: (@Sendable (Connection) throws(SQLiteFailure) -> Void)? = nil) {
        self.sql = sql
        self.then = then
    }
}

/// The journal's schema and its migrations, kept in `PRAGMA user_version`.
///
/// An older agent refuses a newer journal (it cannot know what the new columns mean) rather than writing rows that a
/// newer agent would misread. The schema a file has is compared with the one its version must have
/// (``expectedSchema(version:)``) before anything runs on it: a trigger, view or index someone added is refused.
enum Schema {
    /// The version this build writes.
    static let currentVersion = 4

    /// `migrations[n]` takes a journal from version n to n + 1.
    static let migrations: [Migration] = [
        Migration("""
        CREATE TABLE events (
            seq                INTEGER PRIMARY KEY,
            code               TEXT    NOT NULL,
            raw                BLOB    NOT NULL,
            symbology          TEXT,
            direction          TEXT    CHECK (direction IN ('in', 'out')),
            outcome            TEXT    NOT NULL,
            reason             TEXT,
            command            TEXT,
            carrier            TEXT,
            carrier_candidates TEXT    NOT NULL DEFAULT '',
            device             TEXT    NOT NULL,
            role               TEXT    NOT NULL,
            usb_vendor_id      INTEGER,
            usb_product_id     INTEGER,
            usb_serial         TEXT,
            usb_port           TEXT,
            source             TEXT    NOT NULL,
            wall_ns            INTEGER NOT NULL,
            boot_id            TEXT    NOT NULL,
            monotonic_ns       INTEGER NOT NULL,
            clock_synced       INTEGER NOT NULL,
            corrected_ns       INTEGER,
            effective_ns       INTEGER NOT NULL,
            counted            INTEGER NOT NULL,
            undone             INTEGER NOT NULL DEFAULT 0,
            undone_by          INTEGER,
            state_before       TEXT,
            state_after        TEXT,
            duplicate_of       INTEGER,
            mode_change        TEXT,
            undo_of            INTEGER,
            verdict            TEXT
        );
        CREATE INDEX events_effective ON events (effective_ns);
        CREATE INDEX events_code ON events (code, seq);
        CREATE INDEX events_device_counted ON events (device, seq) WHERE counted = 1;
        CREATE INDEX events_unsynced ON events (boot_id) WHERE clock_synced = 0 AND corrected_ns IS NULL;
        CREATE TABLE device_modes (
            device    TEXT    PRIMARY KEY,
            direction TEXT    NOT NULL CHECK (direction IN ('in', 'out')),
            set_by    INTEGER NOT NULL
        ) WITHOUT ROWID;
        CREATE TABLE parcels (
            code     TEXT    PRIMARY KEY,
            state    TEXT    NOT NULL,
            carrier  TEXT    NOT NULL,
            last_seq INTEGER NOT NULL
        ) WITHOUT ROWID;
        CREATE INDEX parcels_state ON parcels (state);
        """),
        // v2: `stays`, one row per counted `received` event that is not undone: the parcel's time in stock, from
        // that receipt's effective time to the effective time of the release that ended it (NULL while it is in
        // stock). The count files' `in_stock_end` and `stale` of any past day are interval queries on it. It is
        // derived data, kept in step by triggers (insert, undo, time correction) in the writer's own transactions,
        // and backfilled here from the events of a version-1 journal.
        Migration("""
        CREATE TABLE stays (
            in_seq   INTEGER PRIMARY KEY,
            code     TEXT    NOT NULL,
            carrier  TEXT    NOT NULL,
            in_ns    INTEGER NOT NULL,
            out_seq  INTEGER,
            out_ns   INTEGER
        );
        INSERT INTO stays (in_seq, code, carrier, in_ns, out_seq, out_ns)
            SELECT r.seq, r.code, COALESCE(r.carrier, 'UNKNOWN'), r.effective_ns, o.seq, o.effective_ns
            FROM events r LEFT JOIN events o ON o.seq = (
                SELECT MIN(n.seq) FROM events n WHERE n.code = r.code AND n.seq > r.seq AND n.counted = 1)
                AND o.outcome = 'released'
            WHERE r.outcome = 'received' AND r.counted = 1;
        CREATE INDEX stays_in ON stays (in_ns, out_ns, carrier);
        CREATE INDEX stays_long ON stays (in_ns, out_ns, carrier) WHERE \(StayQueries.longStay);
        CREATE INDEX stays_open ON stays (code) WHERE out_seq IS NULL;
        CREATE INDEX stays_out ON stays (out_seq) WHERE out_seq IS NOT NULL;
        CREATE TRIGGER stays_receipt AFTER INSERT ON events WHEN NEW.outcome = 'received' AND NEW.counted = 1
        BEGIN
            INSERT INTO stays (in_seq, code, carrier, in_ns) VALUES
                (NEW.seq, NEW.code, COALESCE(NEW.carrier, 'UNKNOWN'), NEW.effective_ns);
        END;
        CREATE TRIGGER stays_release AFTER INSERT ON events WHEN NEW.outcome = 'released' AND NEW.counted = 1
        BEGIN
            UPDATE stays SET out_seq = NEW.seq, out_ns = NEW.effective_ns WHERE code = NEW.code AND out_seq IS NULL;
        END;
        CREATE TRIGGER stays_undo AFTER UPDATE OF undone ON events WHEN NEW.undone = 1 AND OLD.undone = 0
        BEGIN
            DELETE FROM stays WHERE in_seq = NEW.seq;
            UPDATE stays SET out_seq = NULL, out_ns = NULL WHERE out_seq = NEW.seq;
        END;
        CREATE TRIGGER stays_time AFTER UPDATE OF effective_ns ON events WHEN NEW.effective_ns IS NOT OLD.effective_ns
        BEGIN
            UPDATE stays SET in_ns = NEW.effective_ns WHERE in_seq = NEW.seq;
            UPDATE stays SET out_ns = NEW.effective_ns WHERE out_seq = NEW.seq;
        END;
        """),
        // v3: the hash chain (SPEC §7; ``EventChain``), the release photo of camera devices (SPEC §4), and no
        // `parcels` table (nothing read it that `stays` and the events cannot answer). Events already in the journal
        // are chained here, in seq order, from the genesis: their tamper evidence starts at this migration, which
        // `chain_origin` records (the newest seq chained by it, and when).
        Migration(
            """
            ALTER TABLE events ADD COLUMN photo_path TEXT;
            ALTER TABLE events ADD COLUMN photo_sha256 BLOB;
            ALTER TABLE events ADD COLUMN hash BLOB;
            DROP TABLE parcels;
            CREATE TABLE chain_origin (
                id             INTEGER PRIMARY KEY CHECK (id = 1),
                migrated_through INTEGER,
                migrated_at_ns INTEGER NOT NULL
            );
            """,
            then: { (connection: Connection) throws(SQLiteFailure) in
                try chainExistingEvents(connection)
            }),
        // v4: the upload ledger (SPEC §8; ``UploadLedger``). `uploads`: per target (the `[upload]` url) and count
        // file, the version the store acknowledged: exactly the bytes whose SHA-256 it holds, where, when, and
        // what the store answered. `upload_problems`: per target, the problem that keeps files waiting, since when
        // (cleared by the next file the store accepts). Neither is part of the events' chain.
        Migration("""
        CREATE TABLE uploads (
            target      TEXT    NOT NULL,
            file        TEXT    NOT NULL,
            key         TEXT    NOT NULL,
            sha256      TEXT    NOT NULL,
            size        INTEGER NOT NULL,
            acked_at_ns INTEGER NOT NULL,
            status      INTEGER NOT NULL,
            etag        TEXT,
            answer      TEXT    NOT NULL,
            PRIMARY KEY (target, file)
        ) WITHOUT ROWID;
        CREATE TABLE upload_problems (
            target    TEXT    PRIMARY KEY,
            kind      TEXT    NOT NULL,
            message   TEXT    NOT NULL,
            since_ns  INTEGER NOT NULL,
            last_ns   INTEGER NOT NULL,
            attempts  INTEGER NOT NULL
        ) WITHOUT ROWID;
        """),
    ]

    /// Chains every event of a journal being migrated to v3, oldest first, in pages (the connection's cached
    /// statements never step over rows they update).
    static func chainExistingEvents(_ connection: Connection) throws(SQLiteFailure) {
        var head = ChainHead.empty
        while true {
            var page: [(seq: Int64, canonical: [UInt8])] = []
            try connection.query(
                "SELECT \(EventChain.selectList) FROM events WHERE seq > ? ORDER BY seq LIMIT 10000", [.integer(head.seq)]
            ) { (row: Row) throws(SQLiteFailure) in
                page.append((row.int(0), EventChain.canonicalBytes(row)))
            }
            if page.isEmpty { break }
            for (seq, canonical) in page {
                let hash = EventChain.link(head.hash, canonical)
                try connection.query("UPDATE events SET hash = ? WHERE seq = ?", [.blob(hash), .integer(seq)])
                head = ChainHead(seq: seq, hash: hash)
            }
        }
        try connection.query(
            "INSERT INTO chain_origin (id, migrated_through, migrated_at_ns) VALUES (1, ?, ?)",
            [head.seq == 0 ? .null : .integer(head.seq), .integer(SystemClock.wallNanos())])
    }

    /// Opens the writer's connection: creates the directory and file if needed (the file mode 0640 whatever the
    /// umask), refuses symbolic links, damaged, planted or newer journals without touching them, then switches to
    /// WAL with `synchronous=FULL` and migrates. Creating and migrating take the data directory's lock, so any
    /// number of processes may open a new journal at once.
    static func openForWriting(
        dataDirectory: String, path: String, maximumPageCount: Int?, checkIntegrity: Bool
    ) throws(JournalError)
        -> Connection
    {
        try createDirectory(dataDirectory)
        try refuseRootInAnotherUsersDirectory(dataDirectory)
        let lock = DirectoryLock(path: dataDirectory, exclusive: true)
        defer { lock.release() }
        try refuseUnsafeFiles(path)
        try createFile(path, dataDirectory: dataDirectory)
        let connection: Connection
        do {
            connection = try Connection(path: path, flags: SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOFOLLOW)
            try connection.execute("PRAGMA busy_timeout = 10000")
        } catch {
            // SQLite retries a refused read-write open read-only, so its errno may be ENOENT: ask the directory.
            if error.primary == SQLITE_CANTOPEN {
                if access(dataDirectory, W_OK) != 0 {
                    throw .notWritable(path: path, detail: "data directory: " + String(cString: strerror(errno)))
                }
                if access(path, F_OK) == 0, access(path, W_OK) != 0 {
                    throw .notWritable(path: path, detail: String(cString: strerror(errno)))
                }
            }
            throw classify(error, path: path, opening: true)
        }
        let version = try check(connection, path: path, wholeFile: checkIntegrity)
        do {
            let currentMode = try connection.texts("PRAGMA journal_mode").first ?? ""
            if version < currentVersion || currentMode.lowercased() != "wal" {
                let mode = try connection.texts("PRAGMA journal_mode = WAL").first ?? ""
                guard mode.lowercased() == "wal" else {
                    throw JournalError.sqlite(path: path, detail: "cannot switch to WAL (journal_mode is \(mode))")
                }
            }
            try connection.execute("PRAGMA synchronous = FULL")
            if let maximumPageCount { try connection.execute("PRAGMA max_page_count = \(maximumPageCount)") }
            try migrate(connection, path: path)
        } catch let error as JournalError {
            throw error
        } catch let error as SQLiteFailure {
            throw classify(error, path: path, opening: true)
        } catch {
            throw .sqlite(path: path, detail: "\(error)")
        }
        try refuseUnsafeFiles(path)
        return connection
    }

    /// Opens a reader's connection (read-only, never waits for the writer thanks to WAL), after the same checks of
    /// links and schema as the writer's. A reader waits for a writer that is creating or migrating the journal.
    ///
    /// - Parameter statementTimeLimitNanos: bounds every statement of this reader (`doctor`, `verify`).
    static func openForReading(path: String, statementTimeLimitNanos: UInt64? = nil) throws(JournalError) -> Connection {
        let directory = parentDirectory(of: path)
        let lock = DirectoryLock(path: directory, exclusive: false)
        defer { lock.release() }
        guard access(path, F_OK) == 0 || isSymbolicLink(path) else { throw .noJournal(path: path) }
        try refuseUnsafeFiles(path)
        let connection: Connection
        do {
            connection = try Connection(path: path, flags: SQLITE_OPEN_READONLY | SQLITE_OPEN_NOFOLLOW)
            try connection.execute("PRAGMA busy_timeout = 10000")
            try connection.execute("PRAGMA query_only = 1")
        } catch {
            throw classify(error, path: path, opening: true)
        }
        connection.setStatementTimeLimit(nanoseconds: statementTimeLimitNanos)
        let version = try check(connection, path: path, wholeFile: false)
        guard version == currentVersion else {
            throw .sqlite(path: path, detail: "the journal has schema version \(version); start the agent once to migrate it")
        }
        return connection
    }

    /// `PRAGMA quick_check` (if `wholeFile`), the schema version, and the schema itself compared with the one that
    /// version must have, before anything writes to the file or runs what its schema says. Reading the version
    /// reads the header, so a file that is not a journal is refused either way. Returns the version.
    @discardableResult
    static func check(_ connection: Connection, path: String, wholeFile: Bool) throws(JournalError) -> Int {
        let version = try userVersion(connection, path: path)
        guard version <= currentVersion else {
            throw .newerSchema(path: path, found: version, supported: currentVersion)
        }
        let differences: [String]
        do {
            differences = try schemaDifferences(connection, version: version)
        } catch {
            throw classify(error, path: path, opening: true)
        }
        guard differences.isEmpty else { throw .unexpectedSchema(path: path, differences: differences) }
        if wholeFile {
            let messages: [String]
            do {
                messages = try connection.texts("PRAGMA quick_check")
            } catch {
                throw classify(error, path: path, opening: true)
            }
            guard messages == ["ok"] else {
                throw .corrupt(path: path, detail: "quick_check: " + messages.prefix(3).joined(separator: "; "))
            }
        }
        return version
    }

    static func userVersion(_ connection: Connection, path: String) throws(JournalError) -> Int {
        do {
            return Int(try connection.scalar("PRAGMA user_version") ?? 0)
        } catch {
            throw classify(error, path: path, opening: true)
        }
    }

    // MARK: The expected schema

    /// One object of `sqlite_master`.
    struct SchemaObject: Hashable, Comparable {
        var type: String
        var name: String
        var table: String
        var sql: String?

        static func < (a: SchemaObject, b: SchemaObject) -> Bool { (a.type, a.name) < (b.type, b.name) }
    }

    static func schemaObjects(_ connection: Connection) throws(SQLiteFailure) -> [SchemaObject] {
        var objects: [SchemaObject] = []
        try connection.query("SELECT type, name, tbl_name, sql FROM sqlite_master") { (row: Row) throws(SQLiteFailure) in
            objects.append(
                SchemaObject(type: row.text(0) ?? "", name: row.text(1) ?? "", table: row.text(2) ?? "", sql: row.text(3)))
        }
        return objects.sorted()
    }

    /// The schema a journal of `version` has: the migrations up to it, run on an empty database in memory. Since
    /// every journal is made by the same migrations, its `sqlite_master` must equal this, text for text.
    static func expectedSchema(version: Int) throws(SQLiteFailure) -> [SchemaObject] {
        let memory = try Connection(path: ":memory:", flags: SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE)
        defer { memory.close() }
        for migration in migrations.prefix(version) {
            try memory.execute(migration.sql)
            try migration.then?(memory)
        }
        return try schemaObjects(memory)
    }

    /// What differs between the file's schema and the one its version must have, in words (empty: the same).
    static func schemaDifferences(_ connection: Connection, version: Int) throws(SQLiteFailure) -> [String] {
        let found = try schemaObjects(connection)
        let expected = try expectedSchema(version: version)
        guard found != expected else { return [] }
        var differences: [String] = []
        let expectedByName = Dictionary(expected.map { ($0.name, $0) }, uniquingKeysWith: { first, _ in first })
        let foundByName = Dictionary(found.map { ($0.name, $0) }, uniquingKeysWith: { first, _ in first })
        for object in found {
            guard let wanted = expectedByName[object.name] else {
                differences.append("unexpected \(object.type) '\(object.name)' on '\(object.table)'")
                continue
            }
            if wanted != object { differences.append("\(object.type) '\(object.name)' is not as this version creates it") }
        }
        for object in expected where foundByName[object.name] == nil {
            differences.append("\(object.type) '\(object.name)' is missing")
        }
        return differences.isEmpty ? ["the schema is not as this version creates it"] : differences
    }

    // MARK: Files

    /// Refuses a journal, WAL or SHM file that is a symbolic link or not a regular file: SQLite's NOFOLLOW covers
    /// the main file only, and root following a planted link would write wherever it points.
    static func refuseUnsafeFiles(_ path: String) throws(JournalError) {
        for file in [path, path + "-wal", path + "-shm", path + "-journal"] {
            var info = stat()
            guard lstat(file, &info) == 0 else { continue }
            if info.st_mode & S_IFMT == S_IFLNK {
                throw .unsafeFile(path: file, detail: "it is a symbolic link")
            }
            if info.st_mode & S_IFMT != S_IFREG {
                throw .unsafeFile(path: file, detail: "it is not a regular file")
            }
        }
    }

    static func isSymbolicLink(_ path: String) -> Bool {
        var info = stat()
        return lstat(path, &info) == 0 && info.st_mode & S_IFMT == S_IFLNK
    }

    /// Creates the journal file with mode 0640 whatever the umask (SQLite gives its WAL and SHM the same mode);
    /// an existing one is left as it is. Never follows a link.
    static func createFile(_ path: String, dataDirectory: String) throws(JournalError) {
        let descriptor = open(path, O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0o640)
        if descriptor < 0 {
            let code = errno
            if code == EEXIST { return }
            if code == ELOOP { throw .unsafeFile(path: path, detail: "it is a symbolic link") }
            if code == EACCES || code == EPERM || code == EROFS {
                throw .notWritable(path: path, detail: "create: " + String(cString: strerror(code)))
            }
            throw .sqlite(path: path, detail: "cannot create the journal file: " + String(cString: strerror(code)))
        }
        fchmod(descriptor, 0o640)
        close(descriptor)
    }

    /// Root must not create or write journal files in a data directory that belongs to another user: the service
    /// (that user) could then no longer write them.
    static func refuseRootInAnotherUsersDirectory(_ dataDirectory: String) throws(JournalError) {
        guard geteuid() == 0 else { return }
        var info = stat()
        guard stat(dataDirectory, &info) == 0, info.st_uid != 0 else { return }
        throw .ownedByAnotherUser(path: dataDirectory, owner: DataDirectoryOwner.userName(uid: info.st_uid))
    }

    static func parentDirectory(of path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return "." }
        return slash == path.startIndex ? "/" : String(path[..<slash])
    }

    private static func migrate(_ connection: Connection, path: String) throws(SQLiteFailure) {
        var version = Int(try connection.scalar("PRAGMA user_version") ?? 0)
        guard version < currentVersion else { return }
        try connection.inTransaction { () throws(SQLiteFailure) in
            // Another process may have migrated between the check and the lock.
            version = Int(try connection.scalar("PRAGMA user_version") ?? 0)
            while version < currentVersion {
                try connection.execute(migrations[version].sql)
                try migrations[version].then?(connection)
                version += 1
                try connection.execute("PRAGMA user_version = \(version)")
            }
        }
        connection.resetStatementCache()
    }

    /// Creates `path` and its parents with mode 0750 (the journal holds recipients' parcel codes).
    static func createDirectory(_ path: String) throws(JournalError) {
        var prefix = path.hasPrefix("/") ? "/" : ""
        for component in path.split(separator: "/") {
            prefix += (prefix.isEmpty || prefix.hasSuffix("/") ? "" : "/") + component
            if mkdir(prefix, 0o750) != 0 {
                let code = errno
                if code == EEXIST { continue }
                if code == EROFS || code == EACCES || code == EPERM {
                    throw .notWritable(path: prefix, detail: "mkdir: " + String(cString: strerror(code)))
                }
                throw .cannotCreateDirectory(path: prefix, errno: code)
            }
        }
    }

    /// Maps a SQLite failure to the error a technician can act on.
    static func classify(_ failure: SQLiteFailure, path: String, opening: Bool) -> JournalError {
        if failure.isCorruption { return .corrupt(path: path, detail: failure.description) }
        if failure.primary == SQLITE_FULL { return .diskFull(path: path, detail: failure.description) }
        if failure.primary == SQLITE_READONLY
            || (failure.primary == SQLITE_CANTOPEN
                && [EROFS, EACCES, EPERM].contains(failure.systemErrno == 0 ? errno : failure.systemErrno))
            || (failure.primary == SQLITE_IOERR && failure.systemErrno == EROFS)
        {
            return .notWritable(path: path, detail: failure.description)
        }
        return .sqlite(path: path, detail: failure.description)
    }
}
