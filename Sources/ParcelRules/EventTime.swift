/// When a scan happened, as the agent can know it: wall time, and a monotonic time tagged with the boot it belongs to.
///
/// The rules compare two moments (the duplicate window, §5.4, and the undo window, §5.8). Wall time can jump —
/// a village box often boots with a wrong clock and is corrected by NTP minutes later — so a wall-clock
/// comparison could suppress a genuine scan or let a double read through. The monotonic clock cannot jump, but
/// it restarts at every boot. Hence the rule, in one place (``nanoseconds(since:)``):
///
/// - both moments carry the same, non-empty ``bootID`` → compare ``monotonicNanos``;
/// - otherwise (different boots, or a boot id that could not be read) → compare ``wallNanos``.
///
/// The agent should take the monotonic time from `CLOCK_BOOTTIME` (it keeps counting through suspend, so an
/// elapsed time is real elapsed time) and the boot id from `/proc/sys/kernel/random/boot_id`; the manual `scan`
/// command reads the same two, so its scans compare correctly with the agent's.
public struct EventTime: Sendable, Hashable {
    /// Wall time, UTC, in nanoseconds since the Unix epoch.
    public var wallNanos: Int64
    /// The kernel's boot id; moments with equal, non-empty boot ids share one monotonic clock.
    public var bootID: String
    /// Monotonic time in nanoseconds, meaningful only against moments of the same ``bootID``.
    public var monotonicNanos: UInt64

    /// Creates a moment from the three clocks the journal stores for every event (SPEC §7).
    public init(wallNanos: Int64, bootID: String, monotonicNanos: UInt64) {
        self.wallNanos = wallNanos
        self.bootID = bootID
        self.monotonicNanos = monotonicNanos
    }

    /// Whether both moments can be compared on the monotonic clock (same, known boot).
    public func sharesMonotonicClock(with other: EventTime) -> Bool {
        !bootID.isEmpty && bootID == other.bootID
    }

    /// The time elapsed from `earlier` to `self`, in nanoseconds, by the rule in the type's documentation.
    ///
    /// - Parameter earlier: the moment to measure from (typically a recorded event).
    /// - Returns: the elapsed nanoseconds; negative when `self` is before `earlier` (possible across boots with a
    ///   wrong clock); `nil` when the difference does not fit in 64 bits (nonsense clocks).
    public func nanoseconds(since earlier: EventTime) -> Int64? {
        if sharesMonotonicClock(with: earlier) {
            if monotonicNanos >= earlier.monotonicNanos {
                let forward = monotonicNanos - earlier.monotonicNanos
                return forward <= UInt64(Int64.max) ? Int64(forward) : nil
            }
            let backward = earlier.monotonicNanos - monotonicNanos
            return backward <= UInt64(Int64.max) ? -Int64(backward) : nil
        }
        let (difference, overflow) = wallNanos.subtractingReportingOverflow(earlier.wallNanos)
        return overflow ? nil : difference
    }

    /// Whether `self` lies within `window` nanoseconds after `earlier`: `0 <= elapsed < window`.
    ///
    /// The window is half-open so that a window of 0 disables the check, and a moment that appears to precede
    /// `earlier` (a clock that went backwards across a reboot) is never treated as "within": for a duplicate that
    /// means the scan is counted rather than lost, for an undo it means nothing old is cancelled by surprise.
    public func isWithin(_ window: Int64, after earlier: EventTime) -> Bool {
        guard let elapsed = nanoseconds(since: earlier) else { return false }
        return elapsed >= 0 && elapsed < window
    }

    /// Whether `self` repeats `earlier` within the duplicate window (SPEC §5.4): decided in acceptance order, so
    /// `earlier` is the anchor the journal accepted before this scan.
    ///
    /// In one boot the monotonic clock decides, and a scan read *before* its anchor (another process's scan that was
    /// accepted later, or a scan that waited for the journal's lock) is a duplicate when the two lie within the
    /// window either way: `|elapsed| < window`. Across boots only wall time is left, and a clock step must not turn a
    /// genuine later scan into a lost one, so there it is ``isWithin(_:after:)``.
    public func repeats(_ earlier: EventTime, within window: Int64) -> Bool {
        guard sharesMonotonicClock(with: earlier) else { return isWithin(window, after: earlier) }
        guard let elapsed = nanoseconds(since: earlier), elapsed != Int64.min else { return false }
        return abs(elapsed) < window
    }
}
