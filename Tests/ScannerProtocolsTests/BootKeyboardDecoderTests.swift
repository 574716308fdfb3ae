import ScannerProtocols
import StationTestSupport
import Testing

@Suite("Boot keyboard decoder (hid-keyboard)")
struct BootKeyboardDecoderTests {
    @Test(
        "Codes typed with Shift decode exactly, with or without release reports between keys",
        arguments: [
            ("SF1122334455667", Typist.Releases.afterEveryKey),
            ("SF1122334455667", Typist.Releases.onlyBetweenIdenticalKeys),
            ("YT6900634716900", Typist.Releases.onlyBetweenIdenticalKeys),
            ("JDVA00012345678", Typist.Releases.afterEveryKey),
            ("MiXeD-case_01/.", Typist.Releases.afterEveryKey),
            ("aAbB!@#$%^&*()", Typist.Releases.onlyBetweenIdenticalKeys),
        ])
    func typedCode(text: String, releases: Typist.Releases) throws {
        var decoder = BootKeyboardDecoder()
        let (output, lastTime) = feed(&decoder, Typist.type(text, releases: releases))
        #expect(output.errors.isEmpty)
        let code = try #require(output.codes.first)
        #expect(output.codes.count == 1)
        #expect(code.text == text)
        #expect(code.raw == bytes(text))
        #expect(code.symbology == nil)
        #expect(code.terminator == .enter)
        // Completed by the Enter report, not by the release report after it.
        #expect(code.completedAt == lastTime - ms(8))
        #expect(decoder.counters.codes == 1)
        #expect(decoder.counters.errors == 0)
    }

    @Test("Right Shift works like left Shift")
    func rightShift() throws {
        var decoder = BootKeyboardDecoder()
        let output = feed(&decoder, Typist.type("Sf7Q", shift: Typist.rightShift)).output
        #expect(output.codes.map(\.text) == ["Sf7Q"])
    }

    @Test("A key that stays down (or an idle-rate repeat of the same report) is one press, not two")
    func heldKeyDoesNotRepeat() {
        var decoder = BootKeyboardDecoder()
        let one = Typist.report([0x1E])
        let reports = [one, one, one, Typist.report(), one, Typist.report(), Typist.report([Typist.enter])]
        #expect(feed(&decoder, reports).output.codes.map(\.text) == ["11"])
    }

    @Test("Caps Lock sent by the scanner inverts letters only, and stays on for the next code")
    func capsLock() {
        var decoder = BootKeyboardDecoder()
        var reports = [Typist.report([Typist.capsLock]), Typist.report()]
        // The scanner assumes Caps Lock on and sends lower-case keys for upper-case letters.
        reports += Typist.type("sf1122334455667")
        // Shift with Caps Lock on gives lower case.
        reports += Typist.type("Ab-1")
        var output = feed(&decoder, reports).output
        #expect(output.codes.map(\.text) == ["SF1122334455667", "aB-1"])
        #expect(decoder.capsLock)
        reports = [Typist.report([Typist.capsLock]), Typist.report()] + Typist.type("sf1")
        output = feed(&decoder, reports, start: ms(5_000)).output
        #expect(output.codes.map(\.text) == ["sf1"])
        #expect(!decoder.capsLock)
    }

    @Test("Numeric keypad digits, operators and keypad Enter")
    func keypad() throws {
        var decoder = BootKeyboardDecoder()
        // 1 2 3 4 5 6 7 8 9 0 . / * - + then keypad Enter, with Num Lock pressed first (ignored).
        let keys: [UInt8] = [0x53] + Array(0x59...0x63) + [0x54, 0x55, 0x56, 0x57, 0x58]
        var reports: [[UInt8]] = []
        for key in keys { reports += [Typist.report([key]), Typist.report()] }
        let code = try #require(feed(&decoder, reports).output.codes.first)
        #expect(code.text == "1234567890./*-+")
        #expect(code.terminator == .enter)
        #expect(decoder.counters.errors == 0)
    }

    @Test("Key roll-over: several keys in one report are new presses in report order")
    func rollOver() {
        var decoder = BootKeyboardDecoder()
        let shift = Typist.leftShift
        let reports = [
            Typist.report([0x16, 0x09], modifiers: shift),  // S F down together
            Typist.report([0x09, 0x1E]),  // F still down, 1 new
            Typist.report([0x1E, 0x1F, 0x20]),  // 1 held, 2 and 3 new
            Typist.report([0x1F]),
            Typist.report([0x1F, 0x1E]),  // 1 pressed again after its release
            Typist.report([Typist.enter, 0x1E]),  // Enter with 1 still down
            Typist.report(),
        ]
        #expect(feed(&decoder, reports).output.codes.map(\.text) == ["SF1231"])
    }

    @Test("Characters after Enter in the same report start the next code, and back-to-back codes all come out")
    func charactersAfterEnter() {
        var decoder = BootKeyboardDecoder()
        var reports = Typist.type("AB12345678", terminator: nil)
        reports.append(Typist.report([Typist.enter, 0x05]))  // Enter, then b, in one report
        reports.append(Typist.report())
        reports += Typist.type("9876543", terminator: Typist.tab)
        reports += Typist.type("XYZ12345")
        let codes = feed(&decoder, reports).output.codes
        #expect(codes.map(\.text) == ["AB12345678", "b9876543", "XYZ12345"])
        #expect(codes.map(\.terminator) == [.enter, .tab, .enter])
    }

    @Test("Ctrl+M, Ctrl+J and Ctrl+I (a \"Control + ASCII\" suffix) end a code like Enter and Tab")
    func controlSuffixes() {
        var decoder = BootKeyboardDecoder()
        let control: UInt8 = 0x01  // left Ctrl
        var reports = Typist.type("SF1122334455667", terminator: nil)
        reports += [Typist.report([0x10], modifiers: control), Typist.report()]  // Ctrl+M: CR
        reports += [Typist.report([0x0D], modifiers: control), Typist.report()]  // Ctrl+J: LF, nothing pending
        reports += Typist.type("YT6900634716900", terminator: nil)
        reports += [Typist.report([0x0C], modifiers: control), Typist.report()]  // Ctrl+I: HT
        let output = feed(&decoder, reports).output
        #expect(output.codes.map(\.text) == ["SF1122334455667", "YT6900634716900"], "CR+LF gives one code, not two")
        #expect(output.codes.map(\.terminator) == [.enter, .tab])
        #expect(output.errors.isEmpty)
    }

    @Test("Enter with nothing typed gives no code")
    func emptyCodes() {
        var decoder = BootKeyboardDecoder()
        let reports = Typist.type("", terminator: Typist.enter) + Typist.type("", terminator: Typist.tab)
        let output = feed(&decoder, reports).output
        #expect(output.isEmpty)
        #expect(decoder.counters.codes == 0)
    }

    @Test("Phantom roll-over error reports are ignored and counted; held keys do not repeat after one")
    func phantomReports() {
        var decoder = BootKeyboardDecoder()
        let phantom: [UInt8] = [0x02, 0, 1, 1, 1, 1, 1, 1]
        let reports = [
            Typist.report([0x16], modifiers: Typist.leftShift),
            phantom,
            Typist.report([0x16, 0x09], modifiers: Typist.leftShift),
            phantom, phantom,
            Typist.report(),
            Typist.report([0x1E]),
            Typist.report([Typist.enter]),
        ]
        let output = feed(&decoder, reports).output
        #expect(output.codes.map(\.text) == ["SF1"])
        #expect(output.errors.isEmpty)
        #expect(decoder.counters.ignoredReports == 3)
    }

    @Test("A code ends after 100 ms of silence, timed at its last character")
    func silenceTimeout() throws {
        var decoder = BootKeyboardDecoder()
        let (output, lastTime) = feed(&decoder, Typist.type("JT0006968326954", terminator: nil))
        #expect(output.codes.isEmpty)
        #expect(decoder.hasPendingCode)
        // The last character was pressed one report before the final release.
        let lastCharacter = lastTime - ms(8)
        #expect(decoder.flush(now: lastCharacter + ms(99)).isEmpty)
        let code = try #require(decoder.flush(now: lastCharacter + ms(100)).codes.first)
        #expect(code.text == "JT0006968326954")
        #expect(code.terminator == .timeout)
        #expect(code.completedAt == lastCharacter)
        #expect(!decoder.hasPendingCode)
        #expect(decoder.flush(now: lastCharacter + ms(500)).isEmpty)
    }

    @Test("A new scan after a silent gap completes the previous one even if flush was never called")
    func timeoutOnNextReport() {
        var decoder = BootKeyboardDecoder()
        feed(&decoder, Typist.type("DPK364112047425", terminator: nil), start: ms(1_000))
        let output = feed(&decoder, Typist.type("78636098066239"), start: ms(2_000)).output
        #expect(output.codes.map(\.text) == ["DPK364112047425", "78636098066239"])
        #expect(output.codes.map(\.terminator) == [.timeout, .enter])
    }

    @Test("The timeout is configurable")
    func configurableTimeout() {
        var decoder = BootKeyboardDecoder(silenceTimeout: ms(30))
        let (_, lastTime) = feed(&decoder, Typist.type("ABC", terminator: nil, releases: .onlyBetweenIdenticalKeys))
        let lastCharacter = lastTime - ms(8)
        #expect(decoder.flush(now: lastCharacter + ms(29)).codes.isEmpty)
        #expect(decoder.flush(now: lastCharacter + ms(30)).codes.map(\.text) == ["ABC"])
    }

    @Test(
        "Keycodes outside the table are errors with the keycode, and the code they were in is dropped",
        arguments: [
            (UInt8(0x3A), UInt8(0)),  // F1
            (UInt8(0x64), UInt8(0)),  // Non-US \| (layout-dependent)
            (UInt8(0x29), UInt8(0)),  // Escape
            (UInt8(0x04), UInt8(0x04)),  // Alt+A
            (UInt8(0x1E), UInt8(0x01)),  // Ctrl+1: no control character
        ])
    func unknownKeycode(keycode: UInt8, modifiers: UInt8) {
        var decoder = BootKeyboardDecoder()
        var reports = Typist.type("SF11", terminator: nil)
        reports += [Typist.report([keycode], modifiers: modifiers), Typist.report()]
        reports += Typist.type("22334455667")
        reports += Typist.type("SF1000000000000")
        let output = feed(&decoder, reports).output
        #expect(output.codes.map(\.text) == ["SF1000000000000"])
        #expect(output.errors == [.unknownKeycode(keycode, modifiers: modifiers), .codeDiscarded(byteCount: 15)])
        #expect(decoder.counters[.unknownKeycode] == 1)
        #expect(decoder.counters[.codeDiscarded] == 1)
    }

    @Test("Ctrl+] types GS, as scanners in Control+ASCII mode send it between GS1 fields")
    func controlCharacters() throws {
        var decoder = BootKeyboardDecoder()
        var reports = Typist.type("0101", terminator: nil)
        reports += [Typist.report([0x30], modifiers: 0x01), Typist.report()]
        reports += Typist.type("10ABC")
        let code = try #require(feed(&decoder, reports).output.codes.first)
        #expect(code.raw == bytes("0101") + [0x1D] + bytes("10ABC"))
    }

    @Test("Reports of the wrong length are errors, never a crash, and decoding goes on", arguments: [0, 1, 7, 9, 64])
    func malformedReports(length: Int) {
        var decoder = BootKeyboardDecoder()
        var reports = Typist.type("YT69006", terminator: nil)
        reports.append([UInt8](repeating: 0x1E, count: length))
        reports += Typist.type("34716900")
        let output = feed(&decoder, reports).output
        #expect(output.codes.map(\.text) == ["YT6900634716900"])
        #expect(output.errors == [.malformedReport(length: length, expected: 8)])
        #expect(decoder.counters[.malformedReport] == 1)
    }

    @Test("Random garbage never crashes the decoder, and a clean scan afterwards decodes")
    func garbage() {
        var decoder = BootKeyboardDecoder()
        var random = SplitMix(seed: 0x5EED)
        var time = ms(1_000)
        for _ in 0..<5_000 {
            let length = Int.random(in: 0...10, using: &random)
            let report = (0..<length).map { _ in UInt8.random(in: 0...255, using: &random) }
            _ = decoder.feed(report: report, at: time)
            time += ms(UInt64.random(in: 0...150, using: &random))
        }
        _ = decoder.flush(now: time + ms(1_000))
        _ = decoder.feed(report: Typist.report(), at: time + ms(1_001))
        // Whatever the garbage left Caps Lock at, put it back the way the scanner would.
        if decoder.capsLock {
            feed(&decoder, [Typist.report([Typist.capsLock]), Typist.report()], start: time + ms(1_002))
        }
        // Garbage may have typed an Enter (so silence no longer ends codes) and left a code open: that
        // one is given up after the abandon timeout, at the next report.
        let output = feed(&decoder, Typist.type("SF1122334455667"), start: time + ms(7_000)).output
        #expect(output.codes.map(\.text) == ["SF1122334455667"])
        #expect(decoder.counters.errors > 0)
    }
}
