public import StationTime
import Synchronization

/// A clock a test moves by hand: wall and monotonic time advance together, the wall clock can be stepped (as NTP
/// does), a reboot restarts the monotonic clock under a new boot id.
public final class TestClock: StationClock {
    private let state: Mutex<ClockReading>

    public init(_ reading: ClockReading) {
        state = Mutex(reading)
    }

    /// A clock at `wallNanos`, 100 s after boot `boot-1`, synchronised or not.
    public convenience init(wallNanos: Int64, bootID: String = "boot-1", isSynchronized: Bool = true) {
        self.init(
            ClockReading(
                wallNanos: wallNanos, monotonicNanos: 100_000_000_000, bootID: bootID, isSynchronized: isSynchronized))
    }

    public func now() -> ClockReading { state.withLock { $0 } }

    /// Lets time pass on both clocks.
    public func advance(nanoseconds: Int64) {
        state.withLock {
            $0.wallNanos += nanoseconds
            $0.monotonicNanos = UInt64(Int64($0.monotonicNanos) + nanoseconds)
        }
    }

    /// Lets time pass on both clocks.
    public func advance(seconds: Int64) { advance(nanoseconds: seconds * 1_000_000_000) }

    /// Steps the wall clock (NTP fixing a wrong clock), leaving the monotonic clock alone.
    public func setWall(nanos: Int64, synchronized: Bool) {
        state.withLock {
            $0.wallNanos = nanos
            $0.isSynchronized = synchronized
        }
    }

    /// A reboot: a new boot id, the monotonic clock restarts at `monotonicNanos`.
    public func reboot(bootID: String, monotonicNanos: UInt64 = 5_000_000_000, wallNanos: Int64? = nil, synchronized: Bool) {
        state.withLock {
            $0.bootID = bootID
            $0.monotonicNanos = monotonicNanos
            if let wallNanos { $0.wallNanos = wallNanos }
            $0.isSynchronized = synchronized
        }
    }
}
