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
        case .sqlite(let path, let detail):
            "journal error at \(path): \(detail)"
        }
    }
}
