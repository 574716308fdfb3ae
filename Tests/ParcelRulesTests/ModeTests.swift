import ParcelRules
import Testing
import StationTestSupport

@Suite("§5.3 Mode")
struct ModeTests {
    @Test("a switchable device scans inbound until it reads #STATION:OUT, then outbound until #STATION:IN")
    func switching() {
        var station = Station()
        #expect(station.scan(Codes.sf).direction == .inbound)

        let out = station.scan("#STATION:OUT")
        #expect(out.outcome == .command)
        #expect(out.modeChange == .outbound)
        #expect(out.reason == nil)
        let release = station.scan(Codes.sf)
        #expect(release.direction == .outbound)
        #expect(release.outcome == .released)

        let back = station.scan("#STATION:IN")
        #expect(back.modeChange == .inbound)
        #expect(station.scan(Codes.zto).direction == .inbound)
    }

    @Test("the mode is per device: switching one scanner leaves the other inbound")
    func perDevice() {
        var station = Station()
        station.scan("#STATION:OUT", on: "counter")
        #expect(station.ledger.switchableMode(device: "counter") == .outbound)
        #expect(station.ledger.switchableMode(device: "desk") == nil)
        #expect(station.scan(Codes.sf, on: "desk").direction == .inbound)
        #expect(station.scan(Codes.zto, on: "counter").direction == .outbound)
    }

    @Test("reading the card of the current mode again is harmless and still recorded")
    func sameModeAgain() {
        var station = Station()
        let first = station.scan("#STATION:IN")
        #expect(first.modeChange == .inbound)
        #expect(station.scan(Codes.sf).direction == .inbound)
    }

    /// What the journal hands back after a restart: only the persisted mode, no history in memory.
    struct RestartedJournal: RuleState {
        var persistedMode: Direction?
        func newestCountedEvent(code: String) -> CountedEvent? { nil }
        func newestCountedEvent(code: String, device: String, direction: Direction) -> CountedEvent? { nil }
        func newestCountedEvent(device: String) -> CountedEvent? { nil }
        func switchableMode(device: String) -> Direction? { device == "desk" ? persistedMode : nil }
    }

    @Test("the mode survives a restart: it is state the journal persists and hands back")
    func survivesRestart() {
        let rules = ScanRules()
        let time = EventTime(wallNanos: 0, bootID: "b", monotonicNanos: 0)
        var station = Station()
        let decision = station.scan("#STATION:OUT")
        // The value to persist is the decision's modeChange; after a restart the journal returns it.
        let journal = RestartedJournal(persistedMode: decision.modeChange)
        let afterRestart = rules.decide(
            ScanInput(raw: Codes.sf, device: "desk", role: .switchable, time: time), state: journal)
        #expect(afterRestart.direction == .outbound)
        #expect(afterRestart.outcome == .releasedUnmatched)
        let neverSwitched = rules.decide(
            ScanInput(raw: Codes.sf, device: "other", role: .switchable, time: time), state: journal)
        #expect(neverSwitched.direction == .inbound)
    }

    @Test(
        "fixed-role devices ignore mode cards, and the outcome says so for the log",
        arguments: [
            (DeviceRole.inbound, "#STATION:OUT", Direction.inbound),
            (.inbound, "#STATION:IN", .inbound),
            (.outbound, "#STATION:IN", .outbound),
            (.outbound, "#STATION:OUT", .outbound),
        ])
    func fixedRoleIgnoresCards(role: DeviceRole, card: String, direction: Direction) {
        var station = Station()
        let decision = station.scan(card, on: "fixed", role: role)
        #expect(decision.outcome == .command)
        #expect(decision.reason == .modeCardIgnored)
        #expect(decision.reason?.rawValue == "mode_card_ignored")
        #expect(decision.modeChange == nil)
        #expect(station.ledger.switchableMode(device: "fixed") == nil)
        #expect(station.scan(Codes.sf, on: "fixed", role: role).direction == direction)
    }

    @Test("a fixed role wins over a mode persisted under the same device name (role changed in the config)")
    func roleWinsOverPersistedMode() {
        var station = Station()
        station.scan("#STATION:OUT", on: "desk", role: .switchable)
        #expect(station.scan(Codes.sf, on: "desk", role: .inbound).direction == .inbound)
    }

    @Test("manual entry: --in/--out are fixed roles of the device `manual`, through the same rules")
    func manualEntry() {
        var station = Station()
        let received = station.scan(Codes.sf, on: "manual", role: .inbound, source: .manual)
        #expect(received.outcome == .received)
        #expect(received.scan.source == .manual)
        let released = station.scan(Codes.sf, on: "manual", role: .outbound, source: .manual)
        #expect(released.outcome == .released)
        #expect(released.verdict == .ok)
    }
}
