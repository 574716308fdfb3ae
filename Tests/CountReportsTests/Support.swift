import CountReports
import ParcelRules
import ScanJournal
import StationTime
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// A fresh directory under /tmp, removed by ``remove()``.
struct TemporaryDirectory {
    let path: String

    init() throws {
        var template = Array("/tmp/count-reports-test-XXXXXX".utf8CString)
        let result = try #require(mkdtemp(&template), "mkdtemp failed: errno \(errno)")
        path = String(cString: result)
    }

    var dataDirectory: String { path + "/data" }
    var outbox: String { path + "/outbox" }

    func remove() {
        _ = run(["/bin/rm", "-rf", path])
    }
}

/// Runs a program to completion (tests only run short tools) and returns its status and stdout.
@discardableResult
func run(_ arguments: [String]) -> (status: Int32, output: String) {
    var fromChild: [Int32] = [0, 0]
    guard pipe(&fromChild) == 0 else { return (-1, "") }
    var actions = posix_spawn_file_actions_t()
    posix_spawn_file_actions_init(&actions)
    defer { posix_spawn_file_actions_destroy(&actions) }
    posix_spawn_file_actions_adddup2(&actions, fromChild[1], 1)
    posix_spawn_file_actions_addclose(&actions, fromChild[0])
    posix_spawn_file_actions_addclose(&actions, fromChild[1])
    var cArguments = arguments.map { strdup($0) } + [nil]
    defer { for argument in cArguments { free(argument) } }
    var pid: pid_t = 0
    let result = posix_spawn(&pid, arguments[0], &actions, nil, &cArguments, environ)
    close(fromChild[1])
    guard result == 0 else {
        close(fromChild[0])
        return (-1, "")
    }
    var output: [UInt8] = []
    var buffer = [UInt8](repeating: 0, count: 4096)
    while true {
        let count = buffer.withUnsafeMutableBytes { read(fromChild[0], $0.baseAddress, $0.count) }
        if count < 0 && errno == EINTR { continue }
        if count <= 0 { break }
        output += buffer[0..<count]
    }
    close(fromChild[0])
    var status: Int32 = 0
    while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
    return ((status >> 8) & 0xFF, String(decoding: output, as: UTF8.self))
}

func readText(_ path: String) -> String? {
    AtomicFile.read(path).map { String(decoding: $0, as: UTF8.self) }
}

func writeText(_ path: String, _ text: String) throws {
    try AtomicFile.write(Array(text.utf8), to: path)
}

let shanghai: StationTimeZone = {
    do { return try StationTimeZone(named: "Asia/Shanghai") } catch { fatalError("no Asia/Shanghai: \(error)") }
}()

/// `YYYY-MM-DD hh:mm:ss` in Asia/Shanghai (+08:00, no DST), as UTC ns.
func at(_ date: String, _ hour: Int, _ minute: Int, _ second: Int = 0) -> Int64 {
    let day = LocalDate(date)!
    return shanghai.utcSeconds(for: day, hour: hour, minute: minute, second: second)[0] * 1_000_000_000
}

/// Drives scans through `ScanJournal.submit` at scripted times.
struct Session {
    let journal: ScanJournal
    let clock: TestClock

    /// Moves the clock (both wall and monotonic) to `time`.
    func move(to time: Int64) {
        clock.advance(nanoseconds: time - clock.now().wallNanos)
    }

    @discardableResult
    func scan(
        _ raw: String, on device: String, role: DeviceRole, at time: Int64? = nil,
        sourceLocation: SourceLocation = #_sourceLocation
    ) async throws -> AcceptedScan {
        if let time { move(to: time) }
        return try await journal.submit(JournalScan(raw: raw, device: device, role: role, at: clock.now()))
    }
}

/// The 24 `by_hour` lines of a count file, from the hours that are not zero (written out independently of the
/// module's renderer).
func hourLines(_ nonZero: [Int: (Int, Int)]) -> String {
    (0..<24).map { hour in
        let (inbound, outbound) = nonZero[hour] ?? (0, 0)
        return "    {\"hour\": \(hour), \"inbound\": \(inbound), \"outbound\": \(outbound)}"
    }.joined(separator: ",\n")
}

func counters(_ v: [Int], indent: String, stock: Bool = true, rejected: Bool = false) -> String {
    // v: inbound, outbound, in_stock_end, stale, unmatched, repeat, duplicates, rescans, undone[, rejected]
    var names = ["inbound", "outbound"]
    if stock { names += ["in_stock_end", "stale"] }
    names += ["unmatched_outbound", "repeat_outbound", "duplicates_suppressed", "rescans", "undone"]
    if rejected { names.append("rejected") }
    precondition(names.count == v.count, "\(names.count) names, \(v.count) values")
    return "{\n" + zip(names, v).map { indent + "  \"\($0)\": \($1)" }.joined(separator: ",\n") + "\n" + indent + "}"
}
