#if canImport(Glibc)
import Glibc
#endif
// libusb.h pulls in <time.h>, so the clang importer files timespec under this module.
internal import CLibUSB

/// The system's monotonic clock since boot (`CLOCK_BOOTTIME`, which keeps counting through
/// suspend), in nanoseconds.
///
/// Scans carry this time: unlike wall time it never jumps when the clock is set, so it orders
/// events and measures silence (the 100 ms code timeout) even on a box that boots in 1970. The
/// journal records the same clock, so a transfer's completion time and the event's monotonic
/// time compare directly.
public enum MonotonicClock {
    public static func now() -> UInt64 {
        var spec = timespec()
        clock_gettime(CLOCK_BOOTTIME, &spec)
        return UInt64(spec.tv_sec) &* 1_000_000_000 &+ UInt64(spec.tv_nsec)
    }
}
