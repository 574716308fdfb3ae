import ParcelRules
import Testing
import StationTestSupport

@Suite("§5.7 Lifecycle")
struct LifecycleTests {
    /// Brings a parcel into `state` through real scans, then waits past the duplicate window.
    static func station(with state: ParcelState, code: String) -> Station {
        var station = Station()
        switch state {
        case .absent: break
        case .inStock: station.scan(code, on: "shelf", role: .inbound)
        case .released:
            station.scan(code, on: "shelf", role: .inbound)
            station.scan(code, on: "release", role: .outbound)
        }
        station.wait(seconds: 60)
        #expect(station.state(code) == state)
        return station
    }

    /// One row of SPEC §5.7.
    struct Transition: Sendable, CustomTestStringConvertible {
        var before: ParcelState
        var role: DeviceRole
        var outcome: Outcome
        var counted: CountedAs
        var after: ParcelState
        var testDescription: String { "\(role.rawValue) when \(before.rawValue) → \(outcome.rawValue)" }
    }

    static let transitions: [Transition] = [
        Transition(before: .absent, role: .inbound, outcome: .received, counted: .inbound, after: .inStock),
        Transition(before: .released, role: .inbound, outcome: .received, counted: .inbound, after: .inStock),
        Transition(before: .inStock, role: .inbound, outcome: .rescan, counted: [], after: .inStock),
        Transition(before: .inStock, role: .outbound, outcome: .released, counted: .outbound, after: .released),
        Transition(
            before: .absent, role: .outbound, outcome: .releasedUnmatched, counted: [.outbound, .unmatchedOutbound],
            after: .released),
        Transition(before: .released, role: .outbound, outcome: .repeatRelease, counted: [], after: .released),
    ]

    @Test("every transition: outcome, what it counts, and the state it leaves", arguments: transitions)
    func transition(_ row: Transition) throws {
        var station = Self.station(with: row.before, code: Codes.yto)
        let decision = station.scan(Codes.yto, on: "desk", role: row.role)
        #expect(decision.outcome == row.outcome)
        #expect(decision.countedAs == row.counted)
        #expect(decision.parcel == ParcelTransition(before: row.before, after: row.after))
        #expect(station.state(Codes.yto) == row.after)
        let direction = try #require(row.role.fixedDirection)
        #expect(Lifecycle.outcome(of: direction, when: row.before) == row.outcome)
    }

    @Test("outcome names are exactly SPEC §2's")
    func outcomeNames() {
        #expect(
            Outcome.allCases.map(\.rawValue) == [
                "received", "released", "released_unmatched", "rescan", "repeat_release", "duplicate", "rejected",
                "command",
            ])
    }

    @Test("a rescan of a parcel in stock is recorded but not counted again")
    func rescanNotCounted() {
        var station = Station()
        station.scan(Codes.zto)
        station.wait(seconds: 60)
        #expect(station.scan(Codes.zto).outcome == .rescan)
        #expect(station.totals.inbound == 1)
        #expect(station.totals.rescans == 1)
        #expect(station.totals.inStockEnd == 1)
    }

    @Test("a parcel never received but released: counted outbound and as unmatched")
    func releaseNeverReceived() {
        var station = Station()
        let decision = station.scan(Codes.jd, on: "release", role: .outbound)
        #expect(decision.outcome == .releasedUnmatched)
        #expect(decision.verdict == .notInStock)
        #expect(station.state(Codes.jd) == .released)
        #expect(station.totals.outbound == 1)
        #expect(station.totals.unmatchedOutbound == 1)
        #expect(station.totals.inbound == 0)
        #expect(station.totals.inStockEnd == 0)
    }

    @Test("a parcel received again after release (a return) is in stock and counted inbound again")
    func receivedAgainAfterRelease() {
        var station = Station()
        station.scan(Codes.sf, on: "shelf", role: .inbound)
        station.scan(Codes.sf, on: "release", role: .outbound)
        station.wait(seconds: 86_400)
        let back = station.scan(Codes.sf, on: "shelf", role: .inbound)
        #expect(back.outcome == .received)
        #expect(back.parcel?.before == .released)
        #expect(station.state(Codes.sf) == .inStock)
        #expect(station.totals.inbound == 2)
        #expect(station.totals.outbound == 1)
        #expect(station.totals.inStockEnd == 1)
    }

    @Test("a repeat release is recorded and not counted")
    func repeatRelease() {
        var station = Station()
        station.scan(Codes.sf, on: "shelf", role: .inbound)
        station.scan(Codes.sf, on: "release", role: .outbound)
        station.wait(seconds: 30)
        let again = station.scan(Codes.sf, on: "release", role: .outbound)
        #expect(again.outcome == .repeatRelease)
        #expect(station.totals.outbound == 1)
        #expect(station.totals.repeatOutbound == 1)
    }

    @Test("a shift: totals add up the way a supervisor reads them")
    func shift() {
        var station = Station()
        for code in [Codes.sf, Codes.zto, Codes.yto, Codes.jt] { station.scan(code) }
        station.scan(Codes.sf)  // double read → duplicate
        station.scan("6901234567892")  // the goods' barcode → rejected
        station.scan("#STATION:OUT")
        station.wait(seconds: 3_600)
        station.scan(Codes.sf)  // released
        station.scan(Codes.deppon)  // never received → released_unmatched
        station.scan(Codes.deppon)  // double read → duplicate
        station.wait(seconds: 60)
        station.scan(Codes.sf)  // repeat release
        let expected = {
            var t = ParcelCounts()
            t.inbound = 4
            t.outbound = 2
            t.inStockEnd = 3
            t.unmatchedOutbound = 1
            t.repeatOutbound = 1
            t.duplicatesSuppressed = 2
            t.rejected = 1
            return t
        }()
        #expect(station.totals == expected)
        #expect(station.ledger.totals(carrier: .sf).outbound == 1)
        #expect(station.ledger.totals(carrier: .sf).inStockEnd == 0)
        #expect(station.ledger.totals(carrier: .deppon).unmatchedOutbound == 1)
        #expect(station.ledger.entries.count == 11)
    }
}
