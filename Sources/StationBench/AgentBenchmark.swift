import ArgumentParser
import StationTime
#if canImport(Glibc)
import Glibc
import SystemSupport
#endif

/// `station-bench agent`: the agent's footprint as a box sees it: the size of its binary, the time
/// from exec to systemd's READY=1 (with a given journal, e.g. one of 10 million events left by
/// `station-bench counts --data-dir D`), and its CPU time, wake-ups and resident memory while idle.
///
/// Idle is measured without USB devices here: under umockdev libusb spins on the emulated node, so
/// idle cost with scanners attached is measured in the QEMU guest of `make e2e`.
struct AgentBenchmark: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "agent", abstract: "Binary size, start-up time to READY=1, idle CPU, wake-ups and memory of `station-agent run`.")

    @Option(help: "The station-agent binary (default: beside station-bench).") var agent: String?
    @Option(help: "Data directory with the journal to start on (default: a new, empty one).") var dataDir: String?
    @Option(help: "Seconds of idle to measure.") var idleSeconds = 60
    @Option(help: "Where the agent's log goes (default: nowhere).") var log = "/dev/null"

    func run() async throws {
        let binary = agent ?? directoryOfExecutable() + "/station-agent"
        let directory = dataDir ?? "/tmp/station-bench-agent-\(getpid())"
        defer { if dataDir == nil { _ = system("rm -rf '\(directory)'") } }
        print("binary: \(binary): \(fileSize(binary)) bytes (strip it and build with --static-swift-stdlib for the box's figure)")

        // A notify socket, as systemd gives one: the agent sends READY=1 once it is started.
        let socketPath = "/tmp/station-bench-notify-\(getpid())"
        unlink(socketPath)
        let fd = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue), 0)
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &address.sun_path) { $0.copyBytes(from: Array(socketPath.utf8)) }
        _ = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        defer {
            close(fd)
            unlink(socketPath)
        }
        let started = SystemClock.monotonicNanos()
        var pid: pid_t = 0
        let arguments = [binary, "run"]
        var cArguments = arguments.map { strdup($0) } + [nil]
        let environment = [
            "NOTIFY_SOCKET=\(socketPath)", "STATION_AGENT_DATA_DIR=\(directory)", "STATION_AGENT_CONFIG=",
            "PATH=/usr/bin:/bin",
        ]
        var cEnvironment = environment.map { strdup($0) } + [nil]
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        posix_spawn_file_actions_addopen(&actions, 2, log, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        guard posix_spawn(&pid, binary, &actions, nil, &cArguments, &cEnvironment) == 0 else {
            throw ValidationError("cannot start \(binary)")
        }
        defer { kill(pid, SIGKILL) }
        var buffer = [UInt8](repeating: 0, count: 4096)
        var ready = false
        var poller = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
        while !ready, poll(&poller, 1, 600_000) > 0 {
            let count = recv(fd, &buffer, buffer.count, 0)
            if count > 0, String(decoding: buffer[0..<count], as: UTF8.self).contains("READY=1") { ready = true }
        }
        let startup = Double(SystemClock.monotonicNanos() - started) / 1e6
        print("start-up to READY=1: \(ready ? twoDecimals(startup) + " ms" : "no READY within 600 s")")

        try await Task.sleep(for: .seconds(1))
        let before = ProcessFigures(pid: pid)
        try await Task.sleep(for: .seconds(idleSeconds))
        let after = ProcessFigures(pid: pid)
        let ticks = Double(sysconf(Int32(_SC_CLK_TCK)))
        print("idle \(idleSeconds) s, no USB devices: CPU \(twoDecimals(Double(after.cpuTicks - before.cpuTicks) / ticks * 1000)) ms, "
            + "wake-ups \(ProcessFigures.wakeUps(from: before, to: after)) (all threads), RSS \(after.rssKB) kB, threads \(after.threads)")
        kill(pid, SIGTERM)
        var status: Int32 = 0
        waitpid(pid, &status, 0)
        print("stop on SIGTERM: exit \((status >> 8) & 0xff)")
    }
}

/// CPU ticks, context switches (over all threads), resident memory and threads of a process.
struct ProcessFigures {
    /// Wake-ups between two samples: for each thread alive at the end, its switches since the first
    /// sample (or since it started).
    static func wakeUps(from before: ProcessFigures, to after: ProcessFigures) -> Int {
        after.switchesByThread.reduce(0) { $0 + $1.value - (before.switchesByThread[$1.key] ?? 0) }
    }

    var cpuTicks = 0
    /// Context switches per thread id, so threads that come and go between samples do not skew the difference.
    var switchesByThread: [String: Int] = [:]
    var rssKB = 0
    var threads = 0

    init(pid: pid_t) {
        if let stat = readText("/proc/\(pid)/stat"), let close = stat.lastIndex(of: ")") {
            let fields = stat[stat.index(after: close)...].split(separator: " ")
            // Fields after the command: state is [0]; utime is field 14 overall, i.e. [11]; stime [12].
            if fields.count > 12 { cpuTicks = (Int(fields[11]) ?? 0) + (Int(fields[12]) ?? 0) }
        }
        if let status = readText("/proc/\(pid)/status") {
            for line in status.split(separator: "\n") {
                let parts = line.split(separator: ":", maxSplits: 1).map { $0.trimmingCharacters() }
                guard parts.count == 2 else { continue }
                if parts[0] == "VmRSS" { rssKB = Int(parts[1].split(separator: " ")[0]) ?? 0 }
                if parts[0] == "Threads" { threads = Int(parts[1]) ?? 0 }
            }
        }
        for task in listDirectory("/proc/\(pid)/task") {
            guard let status = readText("/proc/\(pid)/task/\(task)/status") else { continue }
            for line in status.split(separator: "\n") where line.contains("ctxt_switches") {
                switchesByThread[task, default: 0] += Int(line.split(separator: ":")[1].trimmingCharacters()) ?? 0
            }
        }
    }
}

extension Substring {
    func trimmingCharacters() -> String { String(self.drop(while: { $0 == " " || $0 == "\t" }).reversed().drop(while: { $0 == " " || $0 == "\t" }).reversed()) }
}

/// A text file (a /proc file, whose size reads 0, is read to its end), or nil.
func readText(_ path: String) -> String? {
    guard case .success(let bytes) = SystemFile.read(path) else { return nil }
    return String(decoding: bytes, as: UTF8.self)
}

func listDirectory(_ path: String) -> [String] {
    guard let directory = opendir(path) else { return [] }
    defer { closedir(directory) }
    var names: [String] = []
    while let entry = readdir(directory) {
        let name = directoryEntryName(entry)
        if name != "." && name != ".." { names.append(name) }
    }
    return names
}
