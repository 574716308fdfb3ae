import ParcelRules
import Testing
import StationTestSupport

@Suite("§5.4 Duplicate")
struct DuplicateTests {
    @Test("the same code, device and direction within the window is recorded as a duplicate, not counted")
    func withinWindow() {
        var station = Station()
        let first = station.scan(Codes.sf)
        station.wait(seconds: 2)
        let again = station.scan(Codes.sf)
        #expect(again.outcome == .duplicate)
        #expect(again.duplicateOf == 1)
        #expect(again.countedAs.isEmpty)
        #expect(again.carrier == .sf)
        #expect(first.outcome == .received)
        #expect(station.totals.inbound == 1)
        #expect(station.totals.duplicatesSuppressed == 1)
        #expect(station.totals.rescans == 0)
    }

    @Test(
        "outside the window the scan goes through the lifecycle again (the window is [0, 5 s))",
        arguments: [(4.999, Outcome.duplicate), (5.0, .rescan), (6.0, .rescan), (600.0, .rescan)])
    func windowEdge(seconds: Double, expected: Outcome) {
        var station = Station()
        station.scan(Codes.sf)
        station.wait(seconds: seconds)
        #expect(station.scan(Codes.sf).outcome == expected)
    }

    @Test("CR+LF read as two submits: the second is a duplicate")
    func doubleSubmit() {
        var station = Station()
        station.scan("\(Codes.zto)\r")
        #expect(station.scan("\n\(Codes.zto)").outcome == .duplicate)
    }

    @Test("the window is measured from the last counted scan, not from the last duplicate")
    func anchoredOnCounted() {
        var station = Station()
        station.scan(Codes.sf)
        station.wait(seconds: 3)
        #expect(station.scan(Codes.sf).outcome == .duplicate)
        station.wait(seconds: 3)  // 6 s after the counted one, 3 s after the duplicate
        #expect(station.scan(Codes.sf).outcome == .rescan)
    }

    @Test("the same code from another device within the window is not a duplicate")
    func otherDevice() {
        var station = Station()
        station.scan(Codes.sf, on: "desk")
        station.wait(seconds: 1)
        #expect(station.scan(Codes.sf, on: "shelf").outcome == .rescan)
        #expect(station.totals.duplicatesSuppressed == 0)
    }

    @Test("the same code in the other direction within the window is not a duplicate")
    func otherDirection() {
        var station = Station()
        station.scan(Codes.sf)
        station.scan("#STATION:OUT")
        station.wait(seconds: 1)
        let release = station.scan(Codes.sf)
        #expect(release.outcome == .released)
        #expect(release.verdict == .ok)
    }

    @Test("an outbound double read is a duplicate, not a repeat release")
    func outboundDouble() {
        var station = Station()
        station.scan(Codes.sf, on: "release", role: .outbound)
        station.wait(seconds: 1)
        let again = station.scan(Codes.sf, on: "release", role: .outbound)
        #expect(again.outcome == .duplicate)
        #expect(station.totals.repeatOutbound == 0)
        #expect(station.totals.outbound == 1)
    }

    @Test("same boot: the monotonic clock decides, so an NTP step of the wall clock changes nothing")
    func sameBootUsesMonotonic() {
        var station = Station()
        station.scan(Codes.sf)
        station.wait(seconds: 2)
        station.now.wallNanos += 3_600 * 1_000_000_000  // NTP corrects the clock by an hour meanwhile
        #expect(station.scan(Codes.sf).outcome == .duplicate)

        var other = Station()
        other.scan(Codes.sf)
        other.wait(seconds: 10)
        other.now.wallNanos -= 8 * 1_000_000_000  // clock stepped back: wall says 2 s, monotonic says 10 s
        #expect(other.scan(Codes.sf).outcome == .rescan)
    }

    @Test("across a reboot the monotonic clock restarted, so the wall clock decides")
    func acrossBootUsesWall() {
        var station = Station()
        station.scan(Codes.sf)
        station.reboot(wallSeconds: 2)
        #expect(station.scan(Codes.sf).outcome == .duplicate)

        var later = Station()
        later.scan(Codes.sf)
        later.reboot(wallSeconds: 30)
        #expect(later.scan(Codes.sf).outcome == .rescan)

        var backwards = Station()
        backwards.scan(Codes.sf)
        backwards.reboot(wallSeconds: -2)  // new boot with a clock behind the old one: counted, never lost
        #expect(backwards.scan(Codes.sf).outcome == .rescan)
    }

    @Test("a configured window applies; 0 disables duplicate suppression")
    func configuredWindow() throws {
        var wide = Station(rules: ScanRules(configuration: try RuleConfiguration(duplicateWindowSeconds: 30)))
        wide.scan(Codes.sf)
        wide.wait(seconds: 20)
        #expect(wide.scan(Codes.sf).outcome == .duplicate)

        var off = Station(rules: ScanRules(configuration: try RuleConfiguration(duplicateWindowSeconds: 0)))
        off.scan(Codes.sf)
        #expect(off.scan(Codes.sf).outcome == .rescan)
    }

    @Test("rejected scans are never duplicates: each is recorded as rejected")
    func rejectsNotDuplicates() {
        var station = Station()
        station.scan("6901234567892")
        #expect(station.scan("6901234567892").outcome == .rejected)
        #expect(station.totals.rejected == 2)
        #expect(station.totals.duplicatesSuppressed == 0)
    }

    @Test("an undone scan is no anchor: scanning it again right away counts")
    func undoneIsNoAnchor() {
        var station = Station()
        station.scan(Codes.sf)
        station.scan("#STATION:UNDO")
        station.wait(seconds: 1)
        #expect(station.scan(Codes.sf).outcome == .received)
        #expect(station.totals.inbound == 1)
    }
}

@Suite("EventTime and configuration")
struct ClockAndConfigurationTests {
    @Test("the duplicate window in acceptance order: a scan read before its anchor in the same boot is a repeat")
    func repeatsInAcceptanceOrder() {
        let anchor = EventTime(wallNanos: 10_000_000_000, bootID: "b", monotonicNanos: 10_000_000_000)
        let window: Int64 = 5_000_000_000
        // Read 2 s before the anchor by another process, accepted after it (or with the wall clock stepped back).
        let earlier = EventTime(wallNanos: 3_000_000_000, bootID: "b", monotonicNanos: 8_000_000_000)
        #expect(earlier.repeats(anchor, within: window))
        #expect(!earlier.isWithin(window, after: anchor), "the undo window keeps its forward-only rule")
        #expect(EventTime(wallNanos: 0, bootID: "b", monotonicNanos: 14_999_999_999).repeats(anchor, within: window))
        #expect(!EventTime(wallNanos: 0, bootID: "b", monotonicNanos: 15_000_000_000).repeats(anchor, within: window))
        #expect(!EventTime(wallNanos: 0, bootID: "b", monotonicNanos: 5_000_000_000).repeats(anchor, within: window))
        // Across boots only wall time is known: a genuine later scan after a clock step is counted, not lost.
        #expect(!EventTime(wallNanos: 9_000_000_000, bootID: "c", monotonicNanos: 1).repeats(anchor, within: window))
        #expect(EventTime(wallNanos: 11_000_000_000, bootID: "c", monotonicNanos: 1).repeats(anchor, within: window))
        #expect(!EventTime(wallNanos: 0, bootID: "b", monotonicNanos: 0).repeats(anchor, within: 0), "0 turns it off")
        let extreme = EventTime(wallNanos: 0, bootID: "b", monotonicNanos: .max)
        #expect(!extreme.repeats(EventTime(wallNanos: 0, bootID: "b", monotonicNanos: 0), within: .max))
    }

    @Test("elapsed time: monotonic within a boot, wall across boots, nil on nonsense")
    func elapsed() {
        let a = EventTime(wallNanos: 1_000, bootID: "x", monotonicNanos: 50)
        #expect(EventTime(wallNanos: 9_000, bootID: "x", monotonicNanos: 80).nanoseconds(since: a) == 30)
        #expect(EventTime(wallNanos: 9_000, bootID: "y", monotonicNanos: 80).nanoseconds(since: a) == 8_000)
        #expect(EventTime(wallNanos: 9_000, bootID: "x", monotonicNanos: 20).nanoseconds(since: a) == -30)
        // An unknown boot id never pairs with another: fall back to wall time.
        let unknown = EventTime(wallNanos: 1_000, bootID: "", monotonicNanos: 50)
        #expect(EventTime(wallNanos: 1_500, bootID: "", monotonicNanos: 10).nanoseconds(since: unknown) == 500)
        let min = EventTime(wallNanos: .min, bootID: "p", monotonicNanos: 0)
        #expect(EventTime(wallNanos: .max, bootID: "q", monotonicNanos: 0).nanoseconds(since: min) == nil)
        #expect(!EventTime(wallNanos: .max, bootID: "q", monotonicNanos: 0).isWithin(.max, after: min))
    }

    @Test("a bad duplicate window is a configuration error naming the key, the value and why")
    func badWindow() {
        #expect(RuleConfiguration().duplicateWindowSeconds == 5)
        #expect(throws: RuleConfigurationError.self) { try RuleConfiguration(duplicateWindowSeconds: -1) }
        do {
            _ = try RuleConfiguration(duplicateWindowSeconds: 100_000)
            Issue.record("accepted 100000 s")
        } catch {
            #expect(error.key == "duplicate_window_seconds")
            #expect(error.value == "100000")
            #expect(error.description.hasPrefix("duplicate_window_seconds = 100000: must be between 0 and"))
        }
    }
}
