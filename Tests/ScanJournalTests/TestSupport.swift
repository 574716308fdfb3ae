import Logging
import ParcelRules
import ScanJournal
import StationTime
import Synchronization
import Testing
#if canImport(Glibc)
import Glibc
#endif

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
