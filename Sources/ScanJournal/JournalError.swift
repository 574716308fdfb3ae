/// Why the journal could not do what was asked. Each message names the path and says what to do, because it ends
/// up on a technician's screen (`doctor`, `scan`, the agent's log).
public enum JournalError: Error, Sendable, CustomStringConvertible {
    /// The data directory or the journal file cannot be written: a read-only file system or permissions.
    case notWritable(path: String, detail: String)
    /// The data directory could not be created for another reason.
    case cannotCreateDirectory(path: String, errno: Int32)
    /// The journal was written by a newer station-agent.
    case newerSchema(path: String, found: Int, supported: Int)
    /// The journal file is damaged or not a journal; it is left untouched.
    case corrupt(path: String, detail: String)
    /// There is no journal yet (readers only).
    case noJournal(path: String)
    /// The disk is full (or the journal hit its configured size cap); scans are being held in memory.
    case diskFull(path: String, detail: String)
    /// Too many scans are waiting for the disk: this one was not taken.
    case backlogFull(path: String, pending: Int, lastFailure: String)
    /// The journal was closed before this scan could be committed: it was not accepted.
    case closedBeforeCommit(path: String, lastFailure: String?)
    /// A journal file (or its WAL/SHM) is a symbolic link or not a regular file: never followed (someone who can
    /// write the data directory could point it at any file the opener may write).
    case unsafeFile(path: String, detail: String)
    /// The journal's schema is not the one this version writes (a trigger, view or table someone added or changed):
    /// it is not used, because SQLite would run what the file says inside our own statements.
    case unexpectedSchema(path: String, differences: [String])
    /// Root would create or write journal files in a data directory owned by another user, leaving files the
    /// service cannot write.
    case ownedByAnotherUser(path: String, owner: String)
    /// A statement ran longer than the reader's time limit (a damaged or planted file).
    case tooSlow(path: String, seconds: Int)
    /// Any other SQLite failure.
    case sqlite(path: String, detail: String)

    public var description: String {
        switch self {
        case .notWritable(let path, let detail):
            "cannot write the journal at \(path) (\(detail)): the data directory is on a read-only file system or "
                + "not writable by this user; check `mount` (an SD card remounts read-only after errors), free the "
                + "card or fix the permissions of data_dir"
        case .cannotCreateDirectory(let path, let code):
            "cannot create the data directory \(path) (errno \(code)): create it (mode 0750) or set data_dir to a "
                + "writable place"
        case .newerSchema(let path, let found, let supported):
            "the journal at \(path) has schema version \(found), but this station-agent understands up to "
                + "\(supported): it was written by a newer version; install that version again (the journal is "
                + "left untouched)"
        case .corrupt(let path, let detail):
            "the journal at \(path) is damaged (\(detail)); it was left untouched: copy it aside for recovery "
                + "(sqlite3 \(path) .recover), then move it away so a new journal can start"
        case .noJournal(let path):
            "there is no journal at \(path) yet: nothing has been scanned on this station (check data_dir)"
        case .diskFull(let path, let detail):
            "the disk holding \(path) is full (\(detail)): free space on it; scans are kept in memory and committed "
                + "when space returns"
        case .backlogFull(let path, let pending, let lastFailure):
            "the journal at \(path) cannot commit (\(lastFailure)) and \(pending) scans are already waiting in "
                + "memory: this scan was NOT recorded; fix the disk, then scan it again"
        case .closedBeforeCommit(let path, let lastFailure):
            "the journal at \(path) was closed before this scan could be committed"
                + (lastFailure.map { " (\($0))" } ?? "") + ": it was NOT recorded; scan it again"
        case .unsafeFile(let path, let detail):
            "refusing the journal file \(path): \(detail); it was not opened or followed. Remove it (`rm \(path)`) "
                + "after checking who put it there, and keep data_dir writable only by the service user"
        case .unexpectedSchema(let path, let differences):
            "the journal at \(path) does not have the schema this station-agent writes ("
                + differences.prefix(5).joined(separator: "; ") + (differences.count > 5 ? "; ..." : "")
                + "): it was not used. Someone changed the file outside station-agent: copy it aside for the "
                + "supervisor, and restore the journal from a backup"
        case .ownedByAnotherUser(let path, let owner):
            "the data directory \(path) belongs to the user '\(owner)': as root this command would leave journal "
                + "files that user cannot write. Run it as that user: sudo -u \(owner) station-agent ..."
        case .tooSlow(let path, let seconds):
            "reading the journal at \(path) took longer than \(seconds) s and was stopped: the file may be damaged "
                + "or planted; check it with `station-agent verify`"
        case .sqlite(let path, let detail):
            "journal error at \(path): \(detail)"
        }
    }
}
