import Logging
import ParcelRules
import ScanJournal
import StationTime
import Synchronization
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// A fresh directory under /tmp, removed by ``remove()``.
struct TemporaryDirectory {
    let path: String

    init() throws {
        var template = Array("/tmp/scan-journal-test-XXXXXX".utf8CString)
        let result = try #require(mkdtemp(&template), "mkdtemp failed: errno \(errno)")
        path = String(cString: result)
    }

    /// The data directory used by a test (created by the journal itself).
    var dataDirectory: String { path + "/data" }
    var journalPath: String { dataDirectory + "/journal.sqlite3" }

    func remove() {
        _ = runProcess(["/bin/rm", "-rf", path])
    }
}

/// Runs a program to completion and returns its exit status and output (bounded: tests only run short tools).
@discardableResult
func runProcess(_ arguments: [String], stdinText: String? = nil) -> (status: Int32, output: String) {
    guard let child = try? ChildProcess(arguments) else { return (-1, "") }
    if let stdinText { child.write(stdinText) }
    child.closeInput()
    var output = ""
    while let chunk = child.read(timeoutMilliseconds: 30_000) { output += chunk }
    return (child.wait(), output)
}

/// A child process with pipes to its stdin and stdout (stderr merged into stdout), driven without Foundation.
final class ChildProcess {
    let pid: pid_t
    private var input: Int32
    private let output: Int32

    struct SpawnError: Error, CustomStringConvertible {
        let description: String
    }

    init(_ arguments: [String]) throws {
        var toChild: [Int32] = [0, 0]
        var fromChild: [Int32] = [0, 0]
        guard pipe(&toChild) == 0, pipe(&fromChild) == 0 else { throw SpawnError(description: "pipe failed") }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_adddup2(&actions, toChild[0], 0)
        posix_spawn_file_actions_adddup2(&actions, fromChild[1], 1)
        posix_spawn_file_actions_adddup2(&actions, fromChild[1], 2)
        for fd in toChild + fromChild { posix_spawn_file_actions_addclose(&actions, fd) }
        var cArguments = arguments.map { strdup($0) } + [nil]
        defer { for argument in cArguments { free(argument) } }
        var pid: pid_t = 0
        let result = posix_spawn(&pid, arguments[0], &actions, nil, &cArguments, environ)
        close(toChild[0])
        close(fromChild[1])
        guard result == 0 else {
            close(toChild[1])
            close(fromChild[0])
            throw SpawnError(description: "cannot start \(arguments[0]): error \(result)")
        }
        self.pid = pid
        self.input = toChild[1]
        self.output = fromChild[0]
        signal(SIGPIPE, SIG_IGN)
    }

    deinit {
        if input >= 0 { close(input) }
        close(output)
    }

    func write(_ text: String) {
        guard input >= 0 else { return }
        var bytes = Array(text.utf8)[...]
        while !bytes.isEmpty {
            let written = bytes.withUnsafeBytes { Glibc.write(input, $0.baseAddress, $0.count) }
            if written <= 0 { return }
            bytes = bytes.dropFirst(written)
        }
    }

    func closeInput() {
        if input >= 0 { close(input) }
        input = -1
    }

    /// The next chunk of output, or nil at end of file or after `timeoutMilliseconds` without output.
    func read(timeoutMilliseconds: Int32) -> String? {
        var descriptor = pollfd(fd: output, events: Int16(POLLIN), revents: 0)
        guard poll(&descriptor, 1, timeoutMilliseconds) > 0 else { return nil }
        var buffer = [UInt8](repeating: 0, count: 65_536)
        let count = buffer.withUnsafeMutableBytes { Glibc.read(output, $0.baseAddress, $0.count) }
        guard count > 0 else { return nil }
        return String(decoding: buffer[0..<count], as: UTF8.self)
    }

    func kill(_ signal: Int32 = SIGKILL) {
        _ = Glibc.kill(pid, signal)
    }

    /// Waits for the child to exit (callers kill it or close its input first) and returns its exit status.
    func wait() -> Int32 {
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        return (status & 0x7F) == 0 ? (status >> 8) & 0xFF : 128 + (status & 0x7F)
    }
}

/// The directory holding the built products: the directory of this test binary (`.build/<triple>/debug`).
func productsDirectory() -> String {
    var buffer = [CChar](repeating: 0, count: 4096)
    let count = readlink("/proc/self/exe", &buffer, buffer.count - 1)
    let path = count > 0 ? String(decoding: buffer[0..<count].map { UInt8(bitPattern: $0) }, as: UTF8.self) : CommandLine.arguments[0]
    guard let slash = path.lastIndex(of: "/") else { return "." }
    return String(path[..<slash])
}

/// Waits up to `seconds` for `condition`, polling; returns whether it became true.
func eventually(seconds: Double, _ condition: () async throws -> Bool) async rethrows -> Bool {
    let deadline = SystemClock.monotonicNanos() + UInt64(seconds * 1e9)
    while SystemClock.monotonicNanos() < deadline {
        if try await condition() { return true }
        try? await Task.sleep(nanoseconds: 10_000_000)
    }
    return try await condition()
}

/// Counts completions from concurrent tasks.
final class Counter: Sendable {
    private let value = Mutex(0)
    func increment() { value.withLock { $0 += 1 } }
    var current: Int { value.withLock { $0 } }
}

/// Nanoseconds UTC of a local time in a zone (the first such instant).
func instant(_ zone: StationTimeZone, _ date: String, _ hour: Int, _ minute: Int, _ second: Int) throws -> Int64 {
    let day = try #require(LocalDate(date))
    let candidates = zone.utcSeconds(for: day, hour: hour, minute: minute, second: second)
    return try #require(candidates.first) * 1_000_000_000
}

/// Tracking numbers from notes/scanners.md (as the rules' tests use them).
enum Codes {
    static let sf = "SF1000000000000"
    static let zto = "78636098066239"
    static let yto = "YT6900634716900"
    static let sto = "773194917396313"
    static let yunda = "5301156237108"
    static let jt = "JT0006968326954"
    static let jd = "JDVA00012345678"
    static let ems = "9889510569807"
}

/// The messages a logger was given, to check what an operator would read in the journal.
final class CapturedLog: Sendable {
    private let lines = Mutex<[String]>([])

    var messages: [String] { lines.withLock { $0 } }

    var logger: Logger {
        Logger(label: "test") { _ in Handler(log: self) }
    }

    private struct Handler: LogHandler {
        let log: CapturedLog
        var metadata: Logger.Metadata = [:]
        var logLevel: Logger.Level = .trace

        subscript(metadataKey key: String) -> Logger.Metadata.Value? {
            get { metadata[key] }
            set { metadata[key] = newValue }
        }

        func log(event: LogEvent) {
            log.lines.withLock { $0.append("\(event.level): \(event.message)") }
        }
    }
}
