import ParcelRules
import Testing
import StationTestSupport

@Suite("§5.8 Undo")
struct UndoTests {
    @Test("undo after a receipt: the parcel is absent again and no longer counted")
    func undoReceipt() throws {
        var station = Station()
        station.scan(Codes.sf)
        station.wait(seconds: 30)
        let undo = station.scan("#STATION:UNDO")
        #expect(undo.outcome == .command)
        #expect(undo.command == .undo)
        #expect(undo.reason == nil)
        let action = try #require(undo.undo)
        #expect(action.seq == 1)
        #expect(action.code == Codes.sf)
        #expect(action.carrier == .sf)
        #expect(action.cancelledOutcome == .received)
        #expect(action.restoredState == .absent)
        #expect(station.state(Codes.sf) == .absent)
        #expect(station.ledger.entry(seq: 1)?.undone == true)
        #expect(station.totals.inbound == 0)
        #expect(station.totals.undone == 1)
        #expect(station.ledger.totals(carrier: .sf).undone == 1)
    }

    @Test("undo after a release restores the parcel to in stock")
    func undoRelease() throws {
        var station = Station()
        station.scan(Codes.zto)
        station.scan("#STATION:OUT")
        station.wait(seconds: 120)
        station.scan(Codes.zto)
        #expect(station.state(Codes.zto) == .released)
        let undo = station.scan("#STATION:UNDO")
        let action = try #require(undo.undo)
        #expect(action.cancelledOutcome == .released)
        #expect(action.restoredState == .inStock)
        #expect(station.state(Codes.zto) == .inStock)
        #expect(station.totals.outbound == 0)
        #expect(station.totals.inbound == 1)
        #expect(station.totals.inStockEnd == 1)
    }

    @Test("undo of a release of a parcel never received makes it absent, and unmatched no longer counts")
    func undoUnmatched() throws {
        var station = Station()
        station.scan(Codes.jd, on: "release", role: .outbound)
        let action = try #require(station.scan("#STATION:UNDO", on: "release", role: .outbound).undo)
        #expect(action.restoredState == .absent)
        #expect(station.totals.unmatchedOutbound == 0)
        #expect(station.totals.outbound == 0)
    }

    @Test("undo of a re-receipt restores released, not absent")
    func undoReReceipt() throws {
        var station = Station()
        station.scan(Codes.sf, on: "shelf", role: .inbound)
        station.scan(Codes.sf, on: "release", role: .outbound)
        station.wait(seconds: 3_600)
        station.scan(Codes.sf, on: "shelf", role: .inbound)
        let action = try #require(station.scan("#STATION:UNDO", on: "shelf", role: .inbound).undo)
        #expect(action.restoredState == .released)
        #expect(station.state(Codes.sf) == .released)
    }

    @Test(
        "nothing within 10 minutes: the undo is recorded with a reason and changes nothing",
        arguments: [600.0, 601.0, 7_200.0])
    func nothingRecent(seconds: Double) {
        var station = Station()
        station.scan(Codes.sf)
        station.wait(seconds: seconds)
        let undo = station.scan("#STATION:UNDO")
        #expect(undo.outcome == .command)
        #expect(undo.undo == nil)
        #expect(undo.reason == .nothingToUndo)
        #expect(station.state(Codes.sf) == .inStock)
        #expect(station.totals.inbound == 1)
        #expect(station.totals.undone == 0)
    }

    @Test("just inside 10 minutes is still undone")
    func justInside() {
        var station = Station()
        station.scan(Codes.sf)
        station.wait(seconds: 599.9)
        #expect(station.scan("#STATION:UNDO").undo?.seq == 1)
    }

    @Test("nothing ever scanned: nothing to undo")
    func emptyStation() {
        var station = Station()
        #expect(station.scan("#STATION:UNDO").reason == .nothingToUndo)
    }

    @Test("only counted events are undone: a rescan, duplicate, reject or command is skipped over")
    func onlyCounted() throws {
        var station = Station()
        station.scan(Codes.yto)  // seq 1, counted
        station.scan(Codes.yto)  // duplicate
        station.wait(seconds: 10)
        station.scan(Codes.yto)  // rescan
        station.scan("SF12345")  // rejected
        station.scan("#STATION:IN")  // command
        let action = try #require(station.scan("#STATION:UNDO").undo)
        #expect(action.seq == 1)
    }

    @Test("undo cancels that device's newest event, not another device's")
    func perDevice() throws {
        var station = Station()
        station.scan(Codes.sf, on: "desk")
        station.scan(Codes.zto, on: "shelf")
        let action = try #require(station.scan("#STATION:UNDO", on: "desk").undo)
        #expect(action.code == Codes.sf)
        #expect(station.state(Codes.zto) == .inStock)
    }

    @Test("a second undo cancels the event before the first one")
    func twice() {
        var station = Station()
        station.scan(Codes.sf)
        station.scan(Codes.zto)
        #expect(station.scan("#STATION:UNDO").undo?.code == Codes.zto)
        #expect(station.scan("#STATION:UNDO").undo?.code == Codes.sf)
        #expect(station.scan("#STATION:UNDO").reason == .nothingToUndo)
        #expect(station.totals.inbound == 0)
        #expect(station.totals.undone == 2)
    }

    @Test("an event another device built on is not undone: that would rewrite the later history")
    func superseded() {
        var station = Station()
        station.scan(Codes.sf, on: "desk", role: .inbound)
        station.scan(Codes.sf, on: "release", role: .outbound)
        let undo = station.scan("#STATION:UNDO", on: "desk", role: .inbound)
        #expect(undo.undo == nil)
        #expect(undo.reason == .undoSuperseded)
        #expect(station.state(Codes.sf) == .released)
        #expect(station.totals.inbound == 1)
        #expect(station.totals.outbound == 1)
    }

    @Test("the 10 minutes are measured like the duplicate window: wall time across a reboot")
    func acrossReboot() {
        var station = Station()
        station.scan(Codes.sf)
        station.reboot(wallSeconds: 60)
        #expect(station.scan("#STATION:UNDO").undo?.seq == 1)

        var late = Station()
        late.scan(Codes.sf)
        late.reboot(wallSeconds: 900)
        #expect(late.scan("#STATION:UNDO").reason == .nothingToUndo)
    }
}
