import ParcelRules
import Testing

@Suite("§5.1 Normalisation")
struct NormalizationTests {
    @Test(
        "one label, however the scanner decorates it, is one code",
        arguments: [
            // (raw as read, expected code, expected symbology)
            ("SF1000000000000", "SF1000000000000", nil),
            ("]C0SF1000000000000", "SF1000000000000", "]C0"),
            ("sf1000000000000", "SF1000000000000", nil),  // Caps Lock inverted at the host
            ("]C0jdva00012345678\r\n", "JDVA00012345678", "]C0"),
            ("  YT6900634716900  ", "YT6900634716900", nil),
            ("JT0006968326954\r\n", "JT0006968326954", nil),
            ("JT0006968326954\r", "JT0006968326954", nil),
            ("\tDPK364112047425\t", "DPK364112047425", nil),
            ("]C0 78636098066239 \n", "78636098066239", "]C0"),
            ("]Q1ea123456785cn", "EA123456785CN", "]Q1"),
            ("\u{3000}9889510569807\u{3000}", "9889510569807", nil),  // ideographic spaces from a Chinese IME
        ] as [(String, String, String?)])
    func normalises(raw: String, code: String, symbology: String?) {
        let scan = NormalizedScan(raw: raw)
        #expect(scan.code == code)
        #expect(scan.symbology == symbology)
        #expect(scan.raw == raw)
    }

    @Test("the raw text is kept for disputes while the code is what counts")
    func rawKeptInDecision() {
        var station = Station()
        let decision = station.scan("]C0sf1000000000000\r\n")
        #expect(decision.outcome == .received)
        #expect(decision.code == "SF1000000000000")
        #expect(decision.normalized.raw == "]C0sf1000000000000\r\n")
        #expect(decision.symbology == "]C0")
        #expect(station.state("SF1000000000000") == .inStock)
    }

    @Test("the AIM identifier keeps its case: code characters are case-sensitive")
    func aimCaseKept() {
        #expect(NormalizedScan(raw: "]d2ABCDEFGH12").symbology == "]d2")
        #expect(NormalizedScan(raw: "]d2ABCDEFGH12").code == "ABCDEFGH12")
    }

    @Test("a symbology reported by the device (HID POS) wins over one in the text")
    func reportedSymbology() {
        let both = NormalizedScan(raw: "]C0SF1000000000000", reportedSymbology: "]C1")
        #expect(both.symbology == "]C1")
        #expect(both.code == "SF1000000000000")
        #expect(NormalizedScan(raw: "SF1000000000000", reportedSymbology: "]C0").symbology == "]C0")
        #expect(NormalizedScan(raw: "SF1000000000000", reportedSymbology: "").symbology == nil)
    }

    @Test(
        "text that only looks like an AIM prefix is not stripped (and is then rejected)",
        arguments: ["]C", "]1012345678", "]#012345678"])
    func notAnAIMIdentifier(raw: String) {
        let scan = NormalizedScan(raw: raw)
        #expect(scan.symbology == nil)
        #expect(scan.code == raw)
        #expect(Validity.rejection(for: scan) == .badCharacters)
    }

    @Test("only surrounding whitespace goes; whitespace inside a code stays and rejects it")
    func innerWhitespaceStays() {
        let scan = NormalizedScan(raw: " SF10000 00000000\r\n")
        #expect(scan.code == "SF10000 00000000")
        #expect(Validity.rejection(for: scan) == .badCharacters)
    }

    @Test("an empty read (Enter alone) normalises to an empty code, rejected for its length")
    func emptyRead() {
        var station = Station()
        let decision = station.scan("\r\n")
        #expect(decision.code == "")
        #expect(decision.outcome == .rejected)
        #expect(decision.reason == .badLength)
    }
}

@Suite("§5.2 Command cards")
struct CommandCardTests {
    @Test("the card texts a printer encodes")
    func cardTexts() {
        #expect(CommandCard.modeIn.text == "#STATION:IN")
        #expect(CommandCard.modeOut.text == "#STATION:OUT")
        #expect(CommandCard.undo.text == "#STATION:UNDO")
        #expect(CommandCard.allCases.count == 3)
        #expect(CommandCard.allCases.allSatisfy { !$0.caption.isEmpty })
    }

    @Test(
        "each card is a command, never a parcel, however it was read",
        arguments: [
            ("#STATION:IN", CommandCard.modeIn),
            ("#STATION:OUT\r\n", .modeOut),
            ("]C0#STATION:UNDO", .undo),
            ("#station:out", .modeOut),  // Caps Lock
            ("  #STATION:IN\t", .modeIn),
        ])
    func cardIsCommand(raw: String, card: CommandCard) {
        var station = Station()
        let decision = station.scan(raw)
        #expect(decision.outcome == .command)
        #expect(decision.command == card)
        #expect(decision.carrier == nil)
        #expect(decision.direction == nil)
        #expect(decision.countedAs.isEmpty)
        #expect(decision.verdict == nil)
        #expect(station.totals == ParcelCounts())
        #expect(station.state(decision.code) == .absent)
    }

    @Test("a near-miss card is not a command: it is rejected like any bad code")
    func nearMiss() {
        var station = Station()
        let decision = station.scan("#STATION:OUTX")
        #expect(decision.outcome == .rejected)
        #expect(decision.reason == .badCharacters)
        #expect(decision.command == nil)
    }
}
