#if canImport(Glibc)
public import Glibc
#endif

/// Runs a program to completion and returns its exit status and output (bounded: tests only run short tools).
@discardableResult
public func runProcess(_ arguments: [String], stdinText: String? = nil) -> (status: Int32, output: String) {
    guard let child = try? ChildProcess(arguments) else { return (-1, "") }
    if let stdinText { child.write(stdinText) }
    child.closeInput()
    var output = ""
    while let chunk = child.read(timeoutMilliseconds: 30_000) { output += chunk }
    return (child.wait(), output)
}

/// A child process with pipes to its stdin and stdout (stderr merged into stdout), driven without Foundation.
public final class ChildProcess {
    public let pid: pid_t
    private var input: Int32
    private let output: Int32

    public struct SpawnError: Error, CustomStringConvertible {
        public let description: String
    }

    public init(_ arguments: [String]) throws {
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

    public func write(_ text: String) {
        guard input >= 0 else { return }
        var bytes = Array(text.utf8)[...]
        while !bytes.isEmpty {
            let written = bytes.withUnsafeBytes { Glibc.write(input, $0.baseAddress, $0.count) }
            if written <= 0 { return }
            bytes = bytes.dropFirst(written)
        }
    }

    public func closeInput() {
        if input >= 0 { close(input) }
        input = -1
    }

    /// The next chunk of output, or nil at end of file or after `timeoutMilliseconds` without output.
    public func read(timeoutMilliseconds: Int32) -> String? {
        var descriptor = pollfd(fd: output, events: Int16(POLLIN), revents: 0)
        guard poll(&descriptor, 1, timeoutMilliseconds) > 0 else { return nil }
        var buffer = [UInt8](repeating: 0, count: 65_536)
        let count = buffer.withUnsafeMutableBytes { Glibc.read(output, $0.baseAddress, $0.count) }
        guard count > 0 else { return nil }
        return String(decoding: buffer[0..<count], as: UTF8.self)
    }

    public func kill(_ signal: Int32 = SIGKILL) {
        _ = Glibc.kill(pid, signal)
    }

    /// Waits for the child to exit (callers kill it or close its input first) and returns its exit status.
    public func wait() -> Int32 {
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        return (status & 0x7F) == 0 ? (status >> 8) & 0xFF : 128 + (status & 0x7F)
    }
}

/// The directory holding the built products: the directory of this test binary (`.build/<triple>/debug`).
public func productsDirectory() -> String {
    var buffer = [CChar](repeating: 0, count: 4096)
    let count = readlink("/proc/self/exe", &buffer, buffer.count - 1)
    let path = count > 0 ? String(decoding: buffer[0..<count].map { UInt8(bitPattern: $0) }, as: UTF8.self) : CommandLine.arguments[0]
    guard let slash = path.lastIndex(of: "/") else { return "." }
    return String(path[..<slash])
}

