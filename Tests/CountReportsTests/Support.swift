import CountReports
import ParcelRules
import ScanJournal
import StationTime
import StationTestSupport
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// Runs a program to completion (tests only run short tools) and returns its status and output.
@discardableResult
func run(_ arguments: [String]) -> (status: Int32, output: String) {
    runProcess(arguments)
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
