import ScannerProtocols
import StationTestSupport
import Testing

/// Feeds `chunks` 1 ms apart and collects the codes' texts.
private func frame(_ framer: inout LineFramer, _ chunks: [[UInt8]], start: UInt64 = ms(100)) -> DecoderOutput {
    var output = DecoderOutput()
    for (index, chunk) in chunks.enumerated() {
        output.append(framer.feed(chunk, at: start + UInt64(index) * ms(1)))
    }
    return output
}

@Suite("Serial line framer (cdc-acm)")
struct LineFramerTests {
    @Test("Each of CR, LF and CRLF ends exactly one code", arguments: ["\r", "\n", "\r\n"])
    func terminators(terminator: String) throws {
        var framer = LineFramer()
        let output = frame(&framer, [bytes("SF1122334455667" + terminator + "YT6900634716900" + terminator)])
        #expect(output.codes.map(\.text) == ["SF1122334455667", "YT6900634716900"])
        #expect(output.codes.allSatisfy { $0.terminator == .lineEnd })
        #expect(output.errors.isEmpty)
    }

    @Test(
        "CRLF split across transfers never gives two codes, wherever the split falls",
        arguments: 1..<23)
    func crlfSplit(splitAt: Int) {
        let stream = bytes("SF1122334455667\r\nJT00069\r\n")
        var framer = LineFramer()
        let output = frame(&framer, [Array(stream[..<splitAt]), Array(stream[splitAt...])])
        #expect(output.codes.map(\.text) == ["SF1122334455667", "JT00069"])
    }

    @Test("A code split across transfers (byte by byte) is joined and timed at its terminator")
    func splitCode() throws {
        var framer = LineFramer()
        let chunks = bytes("DPK364112047425\r").map { [$0] }
        let output = frame(&framer, chunks, start: ms(100))
        let code = try #require(output.codes.first)
        #expect(output.codes.count == 1)
        #expect(code.text == "DPK364112047425")
        #expect(code.completedAt == ms(100) + UInt64(chunks.count - 1) * ms(1))
    }

    @Test("Several codes in one transfer, a partial one carried into the next, and empty lines ignored")
    func severalCodes() {
        var framer = LineFramer()
        let output = frame(
            &framer,
            [
                bytes("\r\n\r\nA1234567\r\nB1234567\n\nC12"), bytes("34567\r\r\r\n"), bytes("\n"),
            ])
        #expect(output.codes.map(\.text) == ["A1234567", "B1234567", "C1234567"])
        #expect(framer.counters.codes == 3)
        #expect(!framer.hasPendingCode)
    }

    @Test("Codes over the length bound are dropped up to the next line end, with one error")
    func maxLength() {
        var framer = LineFramer(maxCodeLength: 512)
        let exactly = [UInt8](repeating: 0x37, count: 512)
        let tooLong = [UInt8](repeating: 0x38, count: 2_000)
        let output = frame(
            &framer,
            [
                exactly + bytes("\r\n"), Array(tooLong[..<700]), Array(tooLong[700...]), bytes("\r\nOK123456\r\n"),
            ])
        #expect(output.codes.map(\.raw) == [exactly, bytes("OK123456")])
        #expect(output.errors == [.codeTooLong(limit: 512)])
        #expect(framer.counters[.codeTooLong] == 1)
    }

    @Test("With a silence timeout, a code without terminator ends; without one, it waits")
    func silenceTimeout() throws {
        var timed = LineFramer(silenceTimeout: ms(100))
        _ = timed.feed(bytes("JT000696"), at: ms(10))
        _ = timed.feed(bytes("8326954"), at: ms(20))
        #expect(timed.flush(now: ms(119)).isEmpty)
        let code = try #require(timed.flush(now: ms(120)).codes.first)
        #expect(code.text == "JT0006968326954")
        #expect(code.terminator == .timeout)
        #expect(code.completedAt == ms(20))

        var untimed = LineFramer()
        _ = untimed.feed(bytes("JT0006968326954"), at: ms(10))
        #expect(untimed.flush(now: ms(10_000)).isEmpty)
        #expect(untimed.feed(bytes("\r"), at: ms(10_001)).codes.map(\.text) == ["JT0006968326954"])
    }

    @Test("Bytes that are not UTF-8 keep their raw value")
    func rawBytes() throws {
        var framer = LineFramer()
        let code = try #require(framer.feed([0x41, 0xFF, 0x00, 0x42, 0x0D], at: 1).codes.first)
        #expect(code.raw == [0x41, 0xFF, 0x00, 0x42])
        #expect(code.text == "A\u{FFFD}\u{0}B")
    }
}

@Suite("FTDI packets and requests (ftdi)")
struct FTDITests {
    static let longCode = (0..<100).map { UInt8(ascii: "0") + UInt8($0 % 10) }
    static let secondCode = bytes("SF1122334455667")
    /// The stream a serial scanner sends for two scans: 100 + 2 + 15 + 2 bytes.
    static let stream = longCode + bytes("\r\n") + secondCode + bytes("\r\n")

    @Test("A 100-byte code in one transfer of 64 + 64 + 2 bytes, status-only last packet")
    func hundredByteCode() throws {
        // 100-byte code + CRLF + 22 more bytes = 124 bytes = 2 full packets, then a status-only packet.
        let data = Self.longCode + bytes("\r\n") + bytes("SF1122334455667\r\nYT690")
        let transfer = ftdiTransfer(data) + [0x01, 0x60]
        #expect(transfer.count == 130)
        var decoder = FTDIDecoder()
        var output = decoder.feed(transfer: transfer, at: ms(1))
        output.append(decoder.feed(transfer: ftdiTransfer(bytes("0634716900\r\n")), at: ms(2)))
        #expect(output.codes.map(\.raw) == [Self.longCode, bytes("SF1122334455667"), bytes("YT6900634716900")])
        #expect(output.errors.isEmpty)
        // The stripper alone: exactly the data, no status byte left at offsets 64 or 128.
        #expect(FTDIPacketStripper().strip(transfer).data == data)
    }

    @Test(
        "The same stream in odd-sized transfers decodes the same",
        arguments: [[1], [7, 62, 31, 1], [62], [63], [5, 5, 100, 3], [119], [2, 60, 61, 200]])
    func oddTransfers(pattern: [Int]) {
        var decoder = FTDIDecoder()
        var output = DecoderOutput()
        var start = 0
        var step = 0
        while start < Self.stream.count {
            let size = pattern[step % pattern.count]
            let end = min(start + size, Self.stream.count)
            output.append(decoder.feed(transfer: ftdiTransfer(Array(Self.stream[start..<end])), at: ms(UInt64(step))))
            // Idle status-only packets between transfers.
            output.append(decoder.feed(transfer: [0x01, 0x60], at: ms(UInt64(step))))
            start = end
            step += 1
        }
        #expect(output.codes.map(\.raw) == [Self.longCode, Self.secondCode])
        #expect(output.errors.isEmpty)
    }

    @Test("Status-only packets give nothing")
    func statusOnly() {
        var decoder = FTDIDecoder()
        for index in 0..<100 {
            #expect(decoder.feed(transfer: [0x01, 0x60], at: ms(UInt64(index))).isEmpty)
        }
        #expect(decoder.feed(transfer: [], at: ms(200)).isEmpty)
        #expect(decoder.counters.codes == 0)
        #expect(decoder.counters.errors == 0)
    }

    @Test("High-speed chips use 512-byte packets")
    func highSpeedPackets() {
        let data = [UInt8](repeating: 0x41, count: 600) + bytes("\r")
        let transfer = ftdiTransfer(data, packetSize: 512)
        #expect(transfer.count == 605)
        var decoder = FTDIDecoder(maxPacketSize: 512, framer: LineFramer(maxCodeLength: 1_000))
        #expect(decoder.feed(transfer: transfer, at: 1).codes.map(\.raw) == [[UInt8](repeating: 0x41, count: 600)])
    }

    @Test("Line errors (overrun, parity, framing, break) are counted; a 1-byte packet is malformed")
    func lineErrors() {
        var decoder = FTDIDecoder()
        var output = decoder.feed(transfer: ftdiTransfer(bytes("AB12"), status: (0x01, 0x62)), at: 1)
        // 64 bytes (status + "345678\r" + 55 empty lines), then a 1-byte packet.
        let lines = bytes("345678\r") + [UInt8](repeating: 0x0A, count: 55)
        output.append(decoder.feed(transfer: ftdiTransfer(lines) + [0x01], at: 2))
        #expect(output.errors == [.serialLineError(status: 0x62), .malformedReport(length: 1, expected: 2)])
        #expect(output.codes.map(\.text) == ["AB12345678"])
        #expect(decoder.counters[.serialLineError] == 1)
        #expect(decoder.counters[.malformedReport] == 1)
    }

    @Test(
        "Baud rate divisors for FT232R-class chips",
        arguments: [
            (9_600, UInt16(0x4138), UInt16(0)),
            (19_200, UInt16(0x809C), UInt16(0)),
            (38_400, UInt16(0xC04E), UInt16(0)),
            (57_600, UInt16(0xC034), UInt16(0)),
            (115_200, UInt16(0x001A), UInt16(0)),
            (230_400, UInt16(0x000D), UInt16(0)),
            (921_600, UInt16(0x8003), UInt16(0)),
            (2_000_000, UInt16(0x0001), UInt16(0)),
            (3_000_000, UInt16(0x0000), UInt16(0)),
            (300, UInt16(0x2710), UInt16(0)),
            (1_200, UInt16(0x09C4), UInt16(0)),
        ])
    func baudRates(baud: Int, value: UInt16, index: UInt16) throws {
        let request = try FTDIRequest.setBaudRate(baud)
        #expect(request == USBControlRequest(requestType: 0x40, request: 3, value: value, index: index))
    }

    @Test("Unsupported baud rates are errors", arguments: [0, 100, 182, 2_500_000, 3_500_000])
    func unsupportedBaudRates(baud: Int) {
        #expect(throws: FTDIRequestError.unsupportedBaudRate(baud)) { try FTDIRequest.setBaudRate(baud) }
    }

    @Test("Reset, 8N1, latency timer and modem requests")
    func otherRequests() {
        #expect(FTDIRequest.reset() == USBControlRequest(requestType: 0x40, request: 0, value: 0, index: 0))
        #expect(
            FTDIRequest.purgeReceiveBuffer() == USBControlRequest(requestType: 0x40, request: 0, value: 1, index: 0))
        #expect(
            FTDIRequest.setDataCharacteristics8N1()
                == USBControlRequest(requestType: 0x40, request: 4, value: 8, index: 0))
        #expect(
            FTDIRequest.setLatencyTimer(milliseconds: 2)
                == USBControlRequest(requestType: 0x40, request: 9, value: 2, index: 0))
        #expect(FTDIRequest.setLatencyTimer(milliseconds: 0).value == 1)
        #expect(
            FTDIRequest.disableFlowControl() == USBControlRequest(requestType: 0x40, request: 2, value: 0, index: 0))
        #expect(FTDIRequest.setDTRAndRTS() == USBControlRequest(requestType: 0x40, request: 1, value: 0x0303, index: 0))
    }
}
