import StationTime

/// The system's monotonic clock since boot (`CLOCK_BOOTTIME`, which keeps counting through
/// suspend), in nanoseconds.
///
/// Scans carry this time: unlike wall time it never jumps when the clock is set, so it orders
/// events and measures silence (the 100 ms code timeout) even on a box that boots in 1970. It is
/// the journal's clock (`SystemClock.monotonicNanos`), read through the same function, so a
/// transfer's completion time and an event's monotonic time always compare directly.
public enum MonotonicClock {
    public static func now() -> UInt64 { SystemClock.monotonicNanos() }
}
