import ParcelRules
import Testing

@Suite("§5.5 Validity")
struct ValidityTests {
    @Test(
        "rejected with a stable reason",
        arguments: [
            // (raw, reported symbology, reason)
            ("SF12345", nil, Reason.badLength),  // 7 characters
            (String(repeating: "7", count: 41), nil, .badLength),
            ("SF-1000000000000", nil, .badCharacters),  // punctuation
            ("SF1000000000000.", nil, .badCharacters),
            ("顺丰SF1000000000000", nil, .badCharacters),  // Chinese characters
            ("快递", nil, .badCharacters),  // bad characters say more than a bad length
            ("SF10000000000é0", nil, .badCharacters),  // a non-ASCII lower-case letter is not folded
            ("https://u.example/q?x=1", nil, .badCharacters),  // a QR code off a flyer
            ("6901234567892", nil, .productBarcode),  // Chinese EAN-13, valid check digit
            ("6920000000005", nil, .productBarcode),
            ("]E09787111111115", nil, .productBarcode),  // EAN-13 with its AIM prefix (an ISBN)
            ("9787111111115", "]E0", .productBarcode),  // AIM reported by a HID POS scanner
            ("]E412345670", nil, .productBarcode),  // EAN-8
            ("EA123456784CN", nil, .s10CheckDigit),  // S10 shape, wrong check digit
            ("RB123456780GB", nil, .s10CheckDigit),
        ] as [(String, String?, Reason)])
    func rejected(raw: String, symbology: String?, reason: Reason) {
        var station = Station()
        let decision = station.scan(raw, symbology: symbology)
        #expect(decision.outcome == .rejected)
        #expect(decision.reason == reason)
        #expect(reason.isRejection)
        #expect(decision.carrier == nil)
        #expect(decision.countedAs.isEmpty)
        #expect(station.state(decision.code) == .absent)
        #expect(station.totals.rejected == 1)
        #expect(station.totals.inbound == 0)
    }

    @Test("reason raw values are the stable strings the journal stores")
    func reasonStrings() {
        #expect(Reason.badLength.rawValue == "bad_length")
        #expect(Reason.badCharacters.rawValue == "bad_characters")
        #expect(Reason.productBarcode.rawValue == "product_barcode")
        #expect(Reason.s10CheckDigit.rawValue == "s10_check_digit")
        #expect(Reason.nothingToUndo.rawValue == "nothing_to_undo")
        #expect(!Reason.nothingToUndo.isRejection)
    }

    @Test(
        "accepted: 8 to 40 characters of A-Z0-9 (lower case is folded, not rejected)",
        arguments: [
            "ABCD1234",  // 8
            String(repeating: "9", count: 40),  // 40
            "sf1000000000000",
            "6901234567893",  // 690-699 but the EAN check digit is wrong: not a product barcode
            "EA123456785CN",  // valid S10
            "RB123456785GB",
            "RR100000025CN",  // S10: r = 0 → check 11 → 5
            "RR100000140CN",  // S10: r = 1 → check 10 → 0
        ])
    func accepted(raw: String) {
        var station = Station()
        let decision = station.scan(raw)
        #expect(decision.outcome == .received)
        #expect(decision.reason == nil)
    }

    @Test("check digits as published")
    func checkDigits() {
        #expect(CheckDigits.isValidS10("EA123456785CN"))
        #expect(!CheckDigits.isValidS10("EA123456786CN"))
        #expect(!CheckDigits.isValidS10("EA12345678CN"))
        #expect(CheckDigits.isValidEAN13("6901234567892"))
        #expect(!CheckDigits.isValidEAN13("6901234567893"))
        #expect(!CheckDigits.isValidEAN13("690123456789"))
    }

    @Test("an inbound-only device's reject has no verdict; an outbound device's gets `rejected`")
    func rejectVerdicts() {
        var station = Station()
        #expect(station.scan("SF12345", on: "desk", role: .inbound).verdict == nil)
        let out = station.scan("SF12345", on: "release", role: .outbound)
        #expect(out.direction == .outbound)
        #expect(out.verdict == .rejected)
    }
}
