#if canImport(Glibc)
public import Glibc
#elseif canImport(Musl)
public import Musl
#endif

// The few system calls every I/O module needs, each written once: reading a whole file, retrying after EINTR,
// starting a thread, writing to stderr, and the hex spellings of IDs. The lowest I/O layer (StationTime) and
// everything above it use these instead of their own copies.

/// An `errno` value as an `Error`.
public struct SystemErrno: Error, Sendable, Hashable, CustomStringConvertible {
    public var code: Int32

    public init(_ code: Int32) {
        self.code = code
    }

    /// The C library's words for it (`strerror`).
    public var description: String { String(cString: strerror(code)) }
}

/// Calls `body` again while it fails with `EINTR` (a signal arrived): `body` returns -1 and sets `errno` on failure.
@discardableResult
public func retryingInterrupts<T: BinaryInteger>(_ body: () -> T) -> T {
    while true {
        let result = body()
        if result >= 0 || errno != EINTR { return result }
    }
}

/// Whole files.
public enum SystemFile {
    /// How a file may be opened for reading.
    public struct Options: OptionSet, Sendable {
        public let rawValue: Int
        public init(rawValue: Int) { self.rawValue = rawValue }

        /// Refuse a symbolic link (`O_NOFOLLOW`), a FIFO or a device (it must be a regular file): for files on a
        /// USB stick or in a directory someone else can write.
        public static let regularFileOnly = Options(rawValue: 1)
    }

    /// The whole file, at most `limit` bytes (`EFBIG` beyond), or the errno of the failure.
    public static func read(_ path: String, limit: Int = 4 << 20, options: Options = []) -> Result<[UInt8], SystemErrno> {
        var flags = O_RDONLY | O_CLOEXEC
        if options.contains(.regularFileOnly) { flags |= O_NOFOLLOW | O_NONBLOCK | O_NOCTTY }
        let fd = retryingInterrupts { open(path, flags) }
        guard fd >= 0 else { return .failure(SystemErrno(errno)) }
        defer { close(fd) }
        if options.contains(.regularFileOnly) {
            var info = stat()
            guard fstat(fd, &info) == 0 else { return .failure(SystemErrno(errno)) }
            guard info.st_mode & S_IFMT == S_IFREG else { return .failure(SystemErrno(EINVAL)) }
            guard Int(info.st_size) <= limit else { return .failure(SystemErrno(EFBIG)) }
        }
        var bytes: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65_536)
        while true {
            let count = retryingInterrupts { buffer.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, $0.count) } }
            if count < 0 { return .failure(SystemErrno(errno)) }
            if count == 0 { return .success(bytes) }
            guard bytes.count + count <= limit else { return .failure(SystemErrno(EFBIG)) }
            bytes.append(contentsOf: buffer[0..<count])
        }
    }
}

/// Writes to file descriptor 2 directly: unbuffered, free of the C `stderr` global, and one write(2) for a line
/// that fits, so lines from several threads never interleave.
public func writeStandardError(_ text: String) {
    var bytes = Array(text.utf8)[...]
    while !bytes.isEmpty {
        let written = retryingInterrupts { bytes.withUnsafeBytes { Glibc.write(2, $0.baseAddress, $0.count) } }
        if written <= 0 { return }
        bytes = bytes.dropFirst(written)
    }
}

/// Starts `body` on a new detached or joinable thread of its own (the one `pthread_create` trampoline: the body
/// travels retained in the argument).
///
/// - Returns: the thread, or the error `pthread_create` returned.
@discardableResult
public func startThread(detached: Bool, _ body: @escaping @Sendable () -> Void) -> Result<pthread_t, SystemErrno> {
    let job = Unmanaged.passRetained(ThreadBody(body)).toOpaque()
    var thread = pthread_t()
    let started = pthread_create(
        &thread, nil,
        { raw in
            Unmanaged<ThreadBody>.fromOpaque(raw!).takeRetainedValue().body()
            return nil
        }, job)
    guard started == 0 else {
        Unmanaged<ThreadBody>.fromOpaque(job).release()
        return .failure(SystemErrno(started))
    }
    if detached { pthread_detach(thread) }
    return .success(thread)
}

private final class ThreadBody: Sendable {
    let body: @Sendable () -> Void
    init(_ body: @escaping @Sendable () -> Void) { self.body = body }
}

/// Four lowercase hex digits, zero-padded: the form SPEC §2 uses for vendor and product IDs.
public func hex4(_ value: UInt16) -> String {
    let digits = String(value, radix: 16)
    return String(repeating: "0", count: max(0, 4 - digits.count)) + digits
}

/// The name of a `readdir` entry, read where it lies. Not through a copy of `d_name`: glibc declares it 256 bytes
/// but the kernel packs entries by their names' lengths, so a copy of the whole field can read past the end of the
/// last entry of the buffer into an unmapped page (seen: a segmentation fault in a walk of 186,000 files).
public func directoryEntryName(_ entry: UnsafeMutablePointer<dirent>) -> String {
    let offset = MemoryLayout<dirent>.offset(of: \dirent.d_name)!
    return String(cString: (UnsafeRawPointer(entry) + offset).assumingMemoryBound(to: CChar.self))
}

/// Runs `program` with `arguments` (no shell), its standard output and error appended to `outputPath`, and waits.
/// - Returns: its exit status (128 + the signal that ended it), or the error posix_spawn gave.
public func runProgram(_ program: String, _ arguments: [String], outputPath: String) -> Result<Int32, SystemErrno> {
    var actions = posix_spawn_file_actions_t()
    posix_spawn_file_actions_init(&actions)
    defer { posix_spawn_file_actions_destroy(&actions) }
    posix_spawn_file_actions_addopen(&actions, 1, outputPath, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o600)
    posix_spawn_file_actions_adddup2(&actions, 1, 2)
    posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
    let argv = ([program] + arguments).map { strdup($0) } + [nil]
    defer { for pointer in argv { free(pointer) } }
    var pid = pid_t()
    let started = posix_spawn(&pid, program, &actions, nil, argv, environ)
    guard started == 0 else { return .failure(SystemErrno(started)) }
    var status: Int32 = 0
    while waitpid(pid, &status, 0) < 0 {
        guard errno == EINTR else { return .failure(SystemErrno(errno)) }
    }
    // WIFEXITED / WEXITSTATUS / WTERMSIG, which Swift does not import as functions.
    let signal = status & 0x7f
    return .success(signal == 0 ? (status >> 8) & 0xff : 128 + signal)
}
