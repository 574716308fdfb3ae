import SystemSupport
#if canImport(Glibc)
import Glibc
#endif

/// A file operation that failed, with the path and the system's reason.
public struct CountFileError: Error, Sendable, Hashable, CustomStringConvertible {
    public let path: String
    /// What was being done: `open`, `write`, `fsync`, `rename`, `lock`, ...
    public let operation: String
    public let errno: Int32
    /// A message of our own instead of `strerror` (for non-system problems).
    public let detail: String?

    public init(path: String, operation: String, errno: Int32, detail: String? = nil) {
        self.path = path
        self.operation = operation
        self.errno = errno
        self.detail = detail
    }

    public var description: String {
        let reason = detail ?? String(cString: strerror(errno))
        var text = "\(path): \(operation) failed: \(reason)"
        if errno == ENOSPC || errno == EDQUOT { text += " (the disk is full; the previous file is left as it was)" }
        if errno == EROFS { text += " (read-only file system)" }
        return text
    }
}

/// The system calls atomic writing goes through; tests replace `write` to simulate a full disk.
public struct FileOperations: Sendable {
    /// `write(2)`: returns the bytes written, or -1 with `errno` set.
    public var write: @Sendable (_ fd: Int32, _ bytes: UnsafeRawBufferPointer) -> Int

    public init(write: @escaping @Sendable (_ fd: Int32, _ bytes: UnsafeRawBufferPointer) -> Int) {
        self.write = write
    }

    /// The real system calls.
    public static let system = FileOperations(write: { fd, bytes in Glibc.write(fd, bytes.baseAddress, bytes.count) })
}

/// A complete, synced temporary file beside its target, not yet renamed over it: what a crash between the two steps
/// leaves behind. ``commit()`` finishes the replacement; the target is untouched until then.
public struct TemporaryFile: Sendable {
    public let path: String
    public let target: String

    /// Renames the temporary file over the target (atomic on POSIX file systems), then syncs the directory so the
    /// rename itself survives a power cut.
    public func commit() throws(CountFileError) {
        guard rename(path, target) == 0 else {
            let code = errno
            unlink(path)
            throw CountFileError(path: target, operation: "rename", errno: code)
        }
        try AtomicFile.syncDirectory(of: target)
    }

    /// Removes the temporary file.
    public func discard() { unlink(path) }
}

/// Replaces files atomically: a reader sees the old file or the new one, never a mix or a truncated file, and a
/// full disk or a crash leaves the old file in place.
public enum AtomicFile {
    /// A fresh temporary file name beside `target`: a dot file (upload jobs skip those) with a random part, created
    /// with `O_EXCL | O_NOFOLLOW`, so nothing planted in the directory (a symbolic link, a FIFO, a file of that
    /// name) is ever followed, opened or overwritten. Leftovers of a crash are removed by the next write.
    public static func temporaryPath(for target: String) -> String {
        let (directory, name) = split(target)
        let random = String(UInt64.random(in: 0...UInt64.max), radix: 16)
        return directory + "/." + name + "." + String(repeating: "0", count: 16 - random.count) + random + ".tmp"
    }

    /// Whether `entry` is a temporary file ``temporaryPath(for:)`` made for a target named `name`.
    static func isTemporaryName(_ entry: String, for name: String) -> Bool {
        let prefix = "." + name + "."
        guard entry.hasPrefix(prefix), entry.hasSuffix(".tmp") else { return false }
        let random = entry.dropFirst(prefix.count).dropLast(4)
        return random.count == 16 && random.allSatisfy(\.isHexDigit)
    }

    /// Writes `bytes` to a new temporary file beside `target` with `mode` (whatever the umask), and syncs it.
    public static func writeTemporary(
        _ bytes: [UInt8], to target: String, mode: UInt32 = 0o640, operations: FileOperations = .system
    ) throws(CountFileError) -> TemporaryFile {
        var temporary = temporaryPath(for: target)
        var fd = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, mode_t(mode))
        if fd < 0 && errno == EEXIST {
            temporary = temporaryPath(for: target)
            fd = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, mode_t(mode))
        }
        guard fd >= 0 else { throw CountFileError(path: temporary, operation: "open", errno: errno) }
        func fail(_ operation: String) -> CountFileError {
            let code = errno
            close(fd)
            unlink(temporary)
            return CountFileError(path: temporary, operation: operation, errno: code)
        }
        guard fchmod(fd, mode_t(mode)) == 0 else { throw fail("chmod") }
        var offset = 0
        while offset < bytes.count {
            let written = bytes.withUnsafeBytes { buffer in
                operations.write(fd, UnsafeRawBufferPointer(rebasing: buffer[offset...]))
            }
            if written < 0 {
                if errno == EINTR { continue }
                throw fail("write")
            }
            if written == 0 {
                errno = ENOSPC
                throw fail("write")
            }
            offset += written
        }
        guard fsync(fd) == 0 else { throw fail("fsync") }
        guard close(fd) == 0 else {
            let code = errno
            unlink(temporary)
            throw CountFileError(path: temporary, operation: "close", errno: code)
        }
        return TemporaryFile(path: temporary, target: target)
    }

    /// Removes what a crash left of earlier writes of `target` (``temporaryPath(for:)`` names only; `unlink` never
    /// follows a link). Writers of the outbox hold its lock, so no other writer's file is in flight.
    static func removeLeftovers(of target: String, keeping current: String) {
        let (directory, name) = split(target)
        guard let handle = opendir(directory) else { return }
        defer { closedir(handle) }
        var stale: [String] = []
        while let entry = readdir(handle) {
            let entryName = directoryEntryName(entry)
            if isTemporaryName(entryName, for: name), directory + "/" + entryName != current { stale.append(entryName) }
        }
        for entryName in stale { unlink(directory + "/" + entryName) }
    }

    /// Temp file in the same directory, fsync, rename, fsync the directory.
    public static func write(
        _ bytes: [UInt8], to target: String, mode: UInt32 = 0o640, operations: FileOperations = .system
    ) throws(CountFileError) {
        let temporary = try writeTemporary(bytes, to: target, mode: mode, operations: operations)
        try temporary.commit()
        removeLeftovers(of: target, keeping: temporary.path)
    }

    static func syncDirectory(of path: String) throws(CountFileError) {
        let directory = split(path).directory
        let fd = open(directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard fd >= 0 else { throw CountFileError(path: directory, operation: "open directory", errno: errno) }
        defer { close(fd) }
        // Some file systems (vfat on a USB stick) cannot sync a directory: their rename is as durable as it gets.
        if fsync(fd) != 0, errno != EINVAL, errno != EROFS {
            throw CountFileError(path: directory, operation: "fsync directory", errno: errno)
        }
    }

    static func split(_ path: String) -> (directory: String, name: String) {
        guard let slash = path.lastIndex(of: "/") else { return (".", path) }
        let directory = String(path[..<slash])
        return (directory.isEmpty ? "/" : directory, String(path[path.index(after: slash)...]))
    }

    /// The largest file ``read(_:maxBytes:)`` reads by default: far above any count file or `SHA256SUMS`, far below
    /// what a planted `/dev/zero` link would make of memory.
    public static let readLimit = 16 * 1_048_576

    /// The whole file, or nil when it cannot be read (errno tells why): only a regular file, never through a
    /// symbolic link (`ELOOP`), never a FIFO or a device (`EINVAL`), at most `maxBytes` (`EFBIG`). A USB stick can
    /// hold anything under a count file's name.
    public static func read(_ path: String, maxBytes: Int = readLimit) -> [UInt8]? {
        switch SystemFile.read(path, limit: maxBytes, options: .regularFileOnly) {
        case .success(let bytes): return bytes
        case .failure(let error):
            errno = error.code
            return nil
        }
    }
}
