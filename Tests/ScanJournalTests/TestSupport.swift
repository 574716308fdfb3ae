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

