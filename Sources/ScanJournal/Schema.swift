import CSQLite
#if canImport(Glibc)
import Glibc
#endif

/// The journal's schema and its migrations, kept in `PRAGMA user_version`.
///
/// Migrations only ever add: an older agent refuses a newer journal (it cannot know what the new columns mean)
/// rather than writing rows that a newer agent would misread.
enum Schema {
    /// The version this build writes.
    static let currentVersion = 2

    /// `migrations[n]` takes a journal from version n to n + 1.
    static let migrations: [String] = [
        """
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
        """,
        // v2: `stays`, one row per counted `received` event that is not undone: the parcel's time in stock, from
        // that receipt's effective time to the effective time of the release that ended it (NULL while it is in
        // stock). The count files' `in_stock_end` and `stale` of any past day are interval queries on it. It is
        // derived data, kept in step by triggers (insert, undo, time correction) in the writer's own transactions,
        // and backfilled here from the events of a version-1 journal.
        """
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
        """,
    ]

    /// Opens the writer's connection: creates the directory and file if needed, refuses damaged or newer journals
    /// without touching them, then switches to WAL with `synchronous=FULL` and migrates.
    static func openForWriting(
        dataDirectory: String, path: String, maximumPageCount: Int?, checkIntegrity: Bool
    ) throws(JournalError)
        -> Connection
    {
        try createDirectory(dataDirectory)
        let connection: Connection
        do {
            connection = try Connection(path: path, flags: SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE)
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
        try check(connection, path: path, wholeFile: checkIntegrity)
        do {
            try connection.execute("PRAGMA busy_timeout = 5000")
            let mode = try connection.texts("PRAGMA journal_mode = WAL").first ?? ""
            guard mode.lowercased() == "wal" else {
                throw JournalError.sqlite(path: path, detail: "cannot switch to WAL (journal_mode is \(mode))")
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
        return connection
    }

    /// Opens a reader's connection (read-only, never waits for the writer thanks to WAL).
    static func openForReading(path: String) throws(JournalError) -> Connection {
        guard access(path, F_OK) == 0 else { throw .noJournal(path: path) }
        let connection: Connection
        do {
            connection = try Connection(path: path, flags: SQLITE_OPEN_READONLY)
            try connection.execute("PRAGMA busy_timeout = 5000")
            try connection.execute("PRAGMA query_only = 1")
        } catch {
            throw classify(error, path: path, opening: true)
        }
        let version = try userVersion(connection, path: path)
        guard version <= currentVersion else {
            throw .newerSchema(path: path, found: version, supported: currentVersion)
        }
        guard version == currentVersion else {
            throw .sqlite(path: path, detail: "the journal has schema version \(version); start the agent once to migrate it")
        }
        return connection
    }

    /// `PRAGMA quick_check` (if `wholeFile`) and the schema version, before anything writes to the file. Reading
    /// the version reads the header, so a file that is not a journal is refused either way.
    static func check(_ connection: Connection, path: String, wholeFile: Bool) throws(JournalError) {
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
        let version = try userVersion(connection, path: path)
        guard version <= currentVersion else {
            throw .newerSchema(path: path, found: version, supported: currentVersion)
        }
    }

    static func userVersion(_ connection: Connection, path: String) throws(JournalError) -> Int {
        do {
            return Int(try connection.scalar("PRAGMA user_version") ?? 0)
        } catch {
            throw classify(error, path: path, opening: true)
        }
    }

    private static func migrate(_ connection: Connection, path: String) throws(SQLiteFailure) {
        try connection.execute("BEGIN IMMEDIATE")
        do {
            var version = Int(try connection.scalar("PRAGMA user_version") ?? 0)
            while version < currentVersion {
                try connection.execute(migrations[version])
                version += 1
                try connection.execute("PRAGMA user_version = \(version)")
            }
            try connection.execute("COMMIT")
        } catch {
            if !connection.isAutocommit { try? connection.execute("ROLLBACK") }
            throw error
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
