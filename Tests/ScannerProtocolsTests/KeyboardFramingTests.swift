import ScannerProtocols
import StationTestSupport
import Testing

/// The framing rule of issue #10: a code its scanner ends with Enter/Tab is never cut by silence, and
/// silence is measured on the reports' own times; the 512-character cap of issue #16.
@Suite("Keyboard framing: terminator-ended codes and the length cap")
struct KeyboardFramingTests {
    @Test("Once a scanner has ended a code with Enter, a 300 ms stall inside its next code does not split it")
    func stallInsideCodeOfTerminatorScanner() {
        var decoder = BootKeyboardDecoder()
        #expect(!decoder.endsCodesWithTerminator)
        let first = feed(&decoder, Typist.type("SF1122334455667"), start: ms(1_000)).output
        #expect(first.codes.map(\.text) == ["SF1122334455667"])
        #expect(decoder.endsCodesWithTerminator)
        // `PC02K00000`, then the box stalls: the timer's flush comes 300 ms after the last character,
        // and the rest (`9`, Enter) arrives 300 ms late.
        let (head, headEnd) = feed(&decoder, Typist.type("PC02K00000", terminator: nil), start: ms(2_000))
        #expect(head.codes.isEmpty)
        #expect(!decoder.waitsForSilence, "no timer is armed for a scanner that ends its codes with Enter")
        #expect(decoder.flush(now: headEnd + ms(300)).isEmpty)
        let tail = feed(&decoder, Typist.type("9"), start: headEnd + ms(300)).output
        #expect(tail.codes.map(\.text) == ["PC02K000009"])
        #expect(tail.codes.map(\.terminator) == [.enter])
        #expect(decoder.counters.codes == 2)
        #expect(decoder.counters.errors == 0)
    }

    @Test("Tab and Ctrl+M count as the scanner's terminator too", arguments: [UInt8(0x2B), UInt8(0x28)])
    func tabTeachesTerminator(terminator: UInt8) {
        var decoder = BootKeyboardDecoder()
        feed(&decoder, Typist.type("JT0006968326954", terminator: terminator))
        #expect(decoder.endsCodesWithTerminator)
        var ctrlM = BootKeyboardDecoder()
        // Ctrl+M: the "Control + ASCII" CR suffix.
        let reports = Typist.type("JT0006968326954", terminator: nil) + [Typist.report([0x10], modifiers: 0x01), Typist.report()]
        #expect(feed(&ctrlM, reports).output.codes.map(\.text) == ["JT0006968326954"])
        #expect(ctrlM.endsCodesWithTerminator)
    }

    @Test("A scanner that has sent no terminator still ends its codes after 100 ms of report-time silence")
    func scannerWithoutTerminator() throws {
        var decoder = BootKeyboardDecoder()
        let (_, end1) = feed(&decoder, Typist.type("DPK364112047425", terminator: nil), start: ms(1_000))
        #expect(decoder.waitsForSilence)
        #expect(decoder.flush(now: end1 - ms(8) + ms(99)).isEmpty)
        let code = try #require(decoder.flush(now: end1 - ms(8) + ms(100)).codes.first)
        #expect(code.text == "DPK364112047425")
        #expect(code.terminator == .timeout)
        #expect(!decoder.endsCodesWithTerminator, "silence is not a terminator")
        // A gap of 100 ms between two reports' own times ends the code too, without any flush.
        let output = feed(&decoder, Typist.type("ABC", terminator: nil), start: ms(5_000)).output
            .appending(feed(&decoder, Typist.type("DEF", terminator: nil), start: ms(5_200)).output)
        #expect(output.codes.map(\.text) == ["ABC"])
    }

    @Test("A terminator scanner's code left without Enter for 5 s is dropped, never journaled short; silence rules again")
    func abandonedCode() throws {
        var decoder = BootKeyboardDecoder()
        feed(&decoder, Typist.type("SF1122334455667"), start: ms(1_000))
        let (_, end) = feed(&decoder, Typist.type("PC02K", terminator: nil), start: ms(2_000))
        #expect(decoder.flush(now: end + ms(10_000)).isEmpty)
        let next = feed(&decoder, Typist.type("YT6900634716900", terminator: nil), start: end + ms(5_000)).output
        #expect(next.codes.isEmpty)
        #expect(next.errors == [.terminatorMissing(byteCount: 5)])
        #expect(decoder.counters[.terminatorMissing] == 1)
        #expect(!decoder.endsCodesWithTerminator, "the scanner was set to send no suffix: read it by silence")
        let code = try #require(decoder.flush(now: end + ms(6_000)).codes.first)
        #expect(code.text == "YT6900634716900")
    }

    @Test("A stall shorter than the abandon timeout between a terminator scanner's reports keeps the code whole",
          arguments: [UInt64(150), 300, 1_000, 4_999])
    func reportGapBelowAbandon(gap: UInt64) {
        var decoder = BootKeyboardDecoder()
        feed(&decoder, Typist.type("SF1122334455667"))
        let (_, end) = feed(&decoder, Typist.type("PC02K00000", terminator: nil), start: ms(3_000))
        // The key-up after the last `0` is the last report; the `9` is pressed `gap` ms after the `0`.
        let tail = feed(&decoder, Typist.type("9"), start: end - ms(8) + ms(gap)).output
        #expect(tail.codes.map(\.text) == ["PC02K000009"])
    }

    @Test("Codes up to 512 characters are kept; a longer one is dropped and counted once, and the next code is clean",
          .timeLimit(.minutes(1)))
    func lengthCap() {
        var decoder = BootKeyboardDecoder()
        let limit = String(repeating: "A1", count: 256)
        #expect(feed(&decoder, Typist.type(limit, releases: .onlyBetweenIdenticalKeys)).output.codes.map(\.text.count) == [512])
        let long = String(repeating: "0123456789", count: 1_000)
        let (output, end) = feed(&decoder, Typist.type(long, releases: .onlyBetweenIdenticalKeys), start: ms(10_000), step: ms(1))
        #expect(output.codes.isEmpty)
        #expect(output.errors == [.codeTooLong(limit: 512)])
        #expect(decoder.counters[.codeTooLong] == 1)
        #expect(!decoder.hasPendingCode)
        let next = feed(&decoder, Typist.type("SF1122334455667"), start: end + ms(10)).output
        #expect(next.codes.map(\.text) == ["SF1122334455667"])
        // Without a terminator, the too-long code is still dropped when silence ends it.
        var silent = BootKeyboardDecoder()
        let (_, silentEnd) = feed(&silent, Typist.type(long, terminator: nil, releases: .onlyBetweenIdenticalKeys), step: ms(1))
        #expect(silent.flush(now: silentEnd + ms(200)).codes.isEmpty)
        #expect(silent.counters[.codeTooLong] == 1)
        #expect(!silent.hasPendingCode)
        // A smaller cap applies the same way.
        var small = BootKeyboardDecoder(maxCodeLength: 8)
        #expect(feed(&small, Typist.type("123456789")).output.errors == [.codeTooLong(limit: 8)])
        #expect(feed(&small, Typist.type("12345678"), start: ms(9_000)).output.codes.map(\.text) == ["12345678"])
    }
}

extension DecoderOutput {
    func appending(_ other: DecoderOutput) -> DecoderOutput {
        var result = self
        result.append(other)
        return result
    }
}
