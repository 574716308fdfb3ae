import ParcelRules
import Testing
import StationTestSupport

@Suite("§5.6 Carrier")
struct CarrierTests {
    @Test(
        "every example of notes/scanners.md is counted under its carrier",
        arguments: [
            (Codes.s10, Carrier.ems),
            ("RB123456785GB", .ems),
            (Codes.ems, .ems),
            (Codes.sf, .sf),
            ("100000000001", .sf),  // SF's older 12-digit numbers
            (Codes.zto, .zto),
            (Codes.yto, .yto),
            (Codes.sto, .sto),
            (Codes.yunda, .yunda),
            (Codes.jt, .jt),
            (Codes.jd, .jd),
            (Codes.deppon, .deppon),
            ("621123456789012", .cainiao),
        ])
    func example(code: String, carrier: Carrier) {
        var station = Station()
        let decision = station.scan(code)
        #expect(decision.outcome == .received)
        #expect(decision.carrier == carrier)
        #expect(decision.carrierCandidates.first == carrier)
        #expect(station.ledger.totals(carrier: carrier).inbound == 1)
    }

    @Test(
        "overlapping numeric patterns: every candidate kept, the first in table order wins",
        arguments: [
            ("5012345678901", [Carrier.ems, .yunda]),  // China Post 50… vs Yunda 5…
            ("5112345678901", [.ems, .yunda]),
            ("431234567890123", [.sto, .yunda]),  // STO 43… vs Yunda [34]…, 15 digits
            ("9889510569807", [.ems]),  // two China Post rows match; the carrier is listed once
            ("5301156237108", [.yunda]),
        ])
    func overlap(code: String, candidates: [Carrier]) {
        var station = Station()
        let decision = station.scan(code)
        #expect(decision.carrierCandidates == candidates)
        #expect(decision.carrier == candidates.first)
        #expect(decision.description.contains("carrier=\(candidates[0].rawValue)"))
    }

    @Test(
        "no pattern matches: accepted and counted under UNKNOWN",
        arguments: ["ABCDEFGH12", "6901234567893", "SF10000000000000", "77319491739"])
    func unknown(code: String) {
        var station = Station()
        let decision = station.scan(code)
        #expect(decision.outcome == .received)
        #expect(decision.carrier == .unknown)
        #expect(decision.carrierCandidates.isEmpty)
        #expect(station.ledger.totals(carrier: .unknown).inbound == 1)
    }

    @Test("an S10 code is EMS only with a valid check digit (a wrong one is rejected before the table)")
    func s10NeedsCheckDigit() {
        let table = CarrierTable.standard
        #expect(table.match("EA123456785CN").carrier == .ems)
        #expect(table.match("EA123456784CN").carrier == .unknown)
    }

    @Test("the table reads like the notes' patterns")
    func tableRendersAsRegex() {
        let rendered = CarrierTable.standard.patterns.map(\.pattern.description)
        #expect(rendered.contains(#"^[A-Z]{2}\d{9}[A-Z]{2}$"#))
        #expect(rendered.contains(#"^(10|11|50|51|95|97)\d{11}$"#))
        #expect(rendered.contains(#"^SF[A-Z0-9]\d{12}$"#))
        #expect(rendered.contains(#"^7[34568]\d{12}$"#))
        #expect(rendered.contains(#"^(77|43)\d{12,15}$"#))
        #expect(rendered.contains(#"^JD[A-Z0-9]{2}\d{11}$"#))
        #expect(rendered.contains(#"^DPK\d{12}$"#))
        let carriers = Set(CarrierTable.standard.patterns.map(\.carrier))
        #expect(carriers == [.sf, .zto, .yto, .sto, .yunda, .jt, .jd, .ems, .deppon, .cainiao])
    }

    @Test(
        "variable-length runs match every length in range and nothing outside",
        arguments: [(13, false), (14, true), (15, true), (17, true), (18, false)])
    func variableLength(length: Int, matches: Bool) {
        let code = "77" + String(repeating: "1", count: length - 2)
        #expect((CarrierTable.standard.match(code).carrier == .sto) == matches)
    }

    @Test("a carrier is one row away: a custom table is just data")
    func customTable() {
        let extra = Carrier(rawValue: "TEST")
        let table = CarrierTable(
            [CarrierPattern(extra, [.literal("TT"), .digits(6...8)])] + CarrierTable.standard.patterns)
        var station = Station(rules: ScanRules(carriers: table))
        #expect(station.scan("TT1234567").carrier == extra)
        #expect(station.scan(Codes.sf).carrier == .sf)
    }
}
