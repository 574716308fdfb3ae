import ParcelRules
import StationAgent
import Testing
import VoiceFeedback

/// Which prompt each accepted scan gets (SPEC §6), decided by the real rules over a shift's scans.
@Suite("spoken verdicts")
struct SpokenVerdictTests {
    var ledger = InMemoryParcelLedger()
    let rules = ScanRules()
    var seconds: Int64 = 100

    mutating func say(_ raw: String, device: String = "desk", role: DeviceRole = .switchable, after wait: Int64 = 1) -> Prompt {
        seconds += wait
        let time = EventTime(wallNanos: (1_748_736_000 + seconds) * 1_000_000_000, bootID: "boot-1", monotonicNanos: UInt64(seconds) * 1_000_000_000)
        let decision = ledger.scan(ScanInput(raw: raw, device: device, role: role, time: time), rules: rules)
        return Prompt.verdict(of: decision, role: role)
    }

    @Test("a switchable desk scanner's shift: every outcome its own prompt")
    mutating func switchableShift() {
        #expect(say("SF1122334455667") == .received)
        #expect(say("SF1122334455667") == .duplicate)
        #expect(say("SF1122334455667", after: 10) == .rescan)
        #expect(say("#STATION:OUT") == .modeOut)
        #expect(say("SF1122334455667") == .released)
        #expect(say("YT6900634716900") == .notInStock)
        #expect(say("YT6900634716900") == .duplicate, "a double read of a release is a duplicate, said as such")
        #expect(say("SF1122334455667", after: 10) == .alreadyReleased)
        #expect(say("ABC") == .rejected)
        #expect(say("#STATION:UNDO") == .undone)
        #expect(say("#STATION:IN") == .modeIn)
        #expect(say("#station:in") == .modeIn, "a card read with Caps Lock on")
    }

    @Test("an UNDO that undoes nothing, or is refused, says rejected: the operator must know nothing was undone")
    mutating func refusedUndo() {
        #expect(say("#STATION:UNDO") == .rejected, "nothing to undo")
        #expect(say("SF1122334455667", device: "desk", role: .inbound) == .received)
        #expect(say("SF1122334455667", device: "release", role: .outbound) == .released)
        #expect(say("#STATION:UNDO", device: "desk", role: .inbound) == .rejected, "undo_superseded: released since")
        #expect(say("#STATION:UNDO", device: "release", role: .outbound) == .undone)
    }

    @Test("a mode card a fixed-role device ignores says the mode it stays in")
    mutating func ignoredModeCard() {
        #expect(say("#STATION:IN", device: "release", role: .outbound) == .modeOut)
        #expect(say("#STATION:OUT", device: "desk", role: .inbound) == .modeIn)
    }
}
