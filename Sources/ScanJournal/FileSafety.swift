import SystemSupport
#if canImport(Glibc)
import Glibc
#endif

/// An advisory lock (`flock`) on a directory, held while a journal is created or migrated: any number of `run`,
/// `scan`, `doctor` and `verify` processes may start on a new data directory at once, and none sees a journal
/// half made. Without permission to open the directory (another user's `doctor`) there is no lock, and SQLite's own
/// locking still keeps the file whole.
struct DirectoryLock {
    private let descriptor: Int32

    init(path: String, exclusive: Bool) {
        descriptor = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard descriptor >= 0 else { return }
        retryingInterrupts { flock(descriptor, exclusive ? LOCK_EX : LOCK_SH) }
    }

    func release() {
        guard descriptor >= 0 else { return }
        close(descriptor)  // also releases the lock
    }
}

/// Who owns a data directory, for commands root runs in it.
public enum DataDirectoryOwner {
    /// The user name of `uid`, or the number when it has none.
    static func userName(uid: uid_t) -> String {
        guard let entry = getpwuid(uid), let name = entry.pointee.pw_name else { return String(uid) }
        return String(cString: name)
    }

    /// When this process runs as root and `dataDirectory` exists and belongs to another user, becomes that user
    /// (its group and supplementary groups too) for the rest of the process, so the journal files root's `scan`
    /// writes stay the service's. Returns the user name it switched to, nil when it did not need to.
    ///
    /// - Throws: ``JournalError/ownedByAnotherUser(path:owner:)`` when the switch fails (then nothing was written).
    public static func actAsOwner(of dataDirectory: String) throws(JournalError) -> String? {
        guard geteuid() == 0 else { return nil }
        var info = stat()
        guard stat(dataDirectory, &info) == 0, info.st_uid != 0 else { return nil }
        let name = userName(uid: info.st_uid)
        let group = getpwuid(info.st_uid)?.pointee.pw_gid ?? info.st_gid
        let groupsSet = name.withCString { initgroups($0, group) } == 0 || setgroups(0, nil) == 0
        guard groupsSet, setgid(group) == 0, setuid(info.st_uid) == 0 else {
            throw .ownedByAnotherUser(path: dataDirectory, owner: name)
        }
        return name
    }
}
