import ParcelRules
import Testing
import StationTestSupport

@Suite("§6 Verdict")
struct VerdictTests {
    @Test("verdict raw values are the keys of the `feedback` configuration table")
    func names() {
        #expect(Verdict.allCases.map(\.rawValue) == ["ok", "not_in_stock", "already_released", "rejected"])
    }

    @Test("releasing from stock: ok")
    func ok() {
        var station = Station()
        station.scan(Codes.sf, on: "shelf", role: .inbound)
        #expect(station.scan(Codes.sf, on: "release", role: .outbound).verdict == .ok)
    }

    @Test("releasing a parcel that was never received: not_in_stock")
    func notInStock() {
        var station = Station()
        #expect(station.scan(Codes.sf, on: "release", role: .outbound).verdict == .notInStock)
    }

    @Test("releasing it again: already_released")
    func alreadyReleased() {
        var station = Station()
        station.scan(Codes.sf, on: "shelf", role: .inbound)
        station.scan(Codes.sf, on: "release", role: .outbound)
        station.wait(seconds: 10)
        #expect(station.scan(Codes.sf, on: "counter", role: .outbound).verdict == .alreadyReleased)
    }

    @Test("a product barcode at the release device: rejected")
    func rejected() {
        var station = Station()
        #expect(station.scan("6901234567892", on: "release", role: .outbound).verdict == .rejected)
    }

    @Test(
        "a double read beeps like the scan it repeats",
        arguments: [(true, Verdict.ok), (false, .notInStock)])
    func duplicateRepeatsVerdict(receivedFirst: Bool, verdict: Verdict) {
        var station = Station()
        if receivedFirst { station.scan(Codes.sf, on: "shelf", role: .inbound) }
        let first = station.scan(Codes.sf, on: "release", role: .outbound)
        let again = station.scan(Codes.sf, on: "release", role: .outbound)
        #expect(again.outcome == .duplicate)
        #expect(first.verdict == verdict)
        #expect(again.verdict == verdict)
    }

    @Test("inbound scans and commands get no verdict, even on an outbound device")
    func none() {
        var station = Station()
        #expect(station.scan(Codes.sf, on: "shelf", role: .inbound).verdict == nil)
        #expect(station.scan("#STATION:IN", on: "release", role: .outbound).verdict == nil)
        #expect(station.scan("#STATION:UNDO", on: "release", role: .outbound).verdict == nil)
    }

    @Test("a switchable device in outbound mode gets verdicts like a release device")
    func switchableOutbound() {
        var station = Station()
        station.scan("#STATION:OUT")
        #expect(station.scan(Codes.sf).verdict == .notInStock)
    }
}
