import ScannerProtocols
import StationTestSupport
import Testing

@Suite("HID report descriptor and HID POS layout")
struct HIDPOSLayoutTests {
    @Test("A Honeywell-style descriptor yields the scanned-data report, its fields and the beep bits")
    func honeywellStyleLayout() throws {
        let descriptor = try HIDReportDescriptor(parsing: honeywellStyleDescriptor)
        #expect(descriptor.usesReportIDs)
        #expect(descriptor.usagePages.contains(0x8C))
        #expect(descriptor.reportIDs(.input) == [2])
        #expect(descriptor.reportIDs(.output) == [4])
        #expect(descriptor.reportIDs(.feature) == [0xFE])
        #expect(descriptor.reportLength(.input, reportID: 2) == 64)
        #expect(descriptor.reportLength(.output, reportID: 4) == 2)

        let layout = try #require(HIDPOSLayout(descriptor: descriptor))
        #expect(layout.input.reportID == 2)
        #expect(layout.input.length == 64)
        #expect(layout.input.byteCountOffset == 1)
        #expect(layout.input.symbologyOffset == 2)
        #expect(layout.input.dataOffset == 5)
        #expect(layout.input.dataCapacity == 56)
        #expect(layout.input.continued == HIDPOSLayout.Bit(byte: 63, mask: 0x01))
        let output = try #require(layout.output)
        #expect(output.reportID == 4)
        #expect(output.length == 2)
        #expect(output.goodRead == HIDPOSLayout.Bit(byte: 1, mask: 0x40))
        #expect(output.error == HIDPOSLayout.Bit(byte: 1, mask: 0x20))
        // The descriptor describes exactly the layout the fallback assumes.
        #expect(layout == HIDPOSLayout.honeywell)
    }

    @Test("Beep output reports: report ID 4, good read 0x40, error 0x20")
    func beepReports() {
        let layout = HIDPOSLayout.resolve(descriptorBytes: honeywellStyleDescriptor).layout
        #expect(layout.beepReport(.goodRead) == [0x04, 0x40])
        #expect(layout.beepReport(.error) == [0x04, 0x20])
        #expect(HIDPOSLayout.honeywell.beepReport(.goodRead) == [0x04, 0x40])
    }

    @Test("A scanner without beep usages gets no beep report")
    func noBeepBits() throws {
        // Only the input part of the descriptor, closed after the scanned-data collection.
        let inputOnly = Array(honeywellStyleDescriptor.prefix(through: 72)) + [0xC0]
        #expect(inputOnly[72] == 0xC0)
        let layout = try #require(HIDPOSLayout(descriptor: try HIDReportDescriptor(parsing: inputOnly)))
        #expect(layout.output == nil)
        #expect(layout.beepReport(.goodRead) == nil)
        #expect(layout.input == HIDPOSLayout.honeywell.input)
    }

    @Test("A layout without AIM identifier and with data at byte 2 (Newland/IDTech style)")
    func layoutWithoutSymbologyIdentifier() throws {
        let descriptor: [UInt8] = [
            0x05, 0x8C, 0x09, 0x02, 0xA1, 0x01,  // Bar Code Scanner application
            0x85, 0x02, 0x75, 0x08, 0x15, 0x00, 0x26, 0xFF, 0x00,  // Report ID 2, 8-bit values
            0x95, 0x01, 0x06, 0x00, 0xFF, 0x09, 0x01, 0x81, 0x02,  // byte count (vendor usage)
            0x05, 0x8C, 0x09, 0xFE, 0x95, 0x38, 0x82, 0x02, 0x01,  // 56 bytes Decoded Data
            0x95, 0x05, 0x81, 0x03,  // 4 reserved bytes + 1 symbology byte, constant here
            0x09, 0xFF, 0x75, 0x01, 0x95, 0x01, 0x25, 0x01, 0x81, 0x02,  // Decode Data Continued
            0x95, 0x07, 0x81, 0x03,  // padding
            0xC0,
        ]
        let layout = try #require(HIDPOSLayout(descriptor: try HIDReportDescriptor(parsing: descriptor)))
        #expect(layout.input.symbologyOffset == nil)
        #expect(layout.input.dataOffset == 2)
        #expect(layout.input.dataCapacity == 56)
        #expect(layout.input.continued == HIDPOSLayout.Bit(byte: 63, mask: 0x01))
        #expect(layout.input.length == 64)

        var decoder = HIDPOSDecoder(layout: layout)
        var report = [UInt8](repeating: 0, count: 64)
        report[0] = 2
        report[1] = 15
        report.replaceSubrange(2..<17, with: bytes("SF1122334455667"))
        report[62] = 0x6A
        let code = try #require(decoder.feed(report: report, at: ms(1)).codes.first)
        #expect(code.text == "SF1122334455667")
        #expect(code.symbology == nil)
    }

    @Test(
        "Truncated or unbalanced descriptors are errors, and the Honeywell layout is used instead",
        arguments: [
            ([0x05, 0x8C, 0x09], HIDDescriptorError.truncatedItem(offset: 2)),
            ([0x06, 0x8C], HIDDescriptorError.truncatedItem(offset: 0)),
            ([0xFE, 0x09, 0x00, 0x01], HIDDescriptorError.truncatedItem(offset: 0)),
            ([0x05, 0x8C, 0xC0], HIDDescriptorError.unbalancedCollection(offset: 2)),
            ([0x05, 0x8C, 0xA1, 0x01], HIDDescriptorError.unbalancedCollection(offset: 4)),
            ([0x85, 0x00], HIDDescriptorError.invalidReportID(offset: 0)),
            (
                [0x77, 0xFF, 0xFF, 0xFF, 0x7F, 0x97, 0xFF, 0xFF, 0xFF, 0x7F, 0x81, 0x02],
                HIDDescriptorError.reportTooLong(offset: 10)
            ),
            ([], HIDDescriptorError.empty),
        ] as [([UInt8], HIDDescriptorError)])
    func badDescriptors(bytes: [UInt8], expected: HIDDescriptorError) {
        #expect(throws: expected) { try HIDReportDescriptor(parsing: bytes) }
        let resolved = HIDPOSLayout.resolve(descriptorBytes: bytes)
        #expect(resolved.layout == .honeywell)
        #expect(!resolved.fromDescriptor)
    }

    @Test("A keyboard's descriptor declares no scanned-data report")
    func keyboardDescriptor() throws {
        let keyboard: [UInt8] = [
            0x05, 0x01, 0x09, 0x06, 0xA1, 0x01, 0x05, 0x07, 0x19, 0xE0, 0x29, 0xE7, 0x15, 0x00, 0x25, 0x01,
            0x75, 0x01, 0x95, 0x08, 0x81, 0x02, 0x95, 0x01, 0x75, 0x08, 0x81, 0x01, 0x95, 0x06, 0x75, 0x08,
            0x15, 0x00, 0x25, 0x65, 0x05, 0x07, 0x19, 0x00, 0x29, 0x65, 0x81, 0x00, 0xC0,
        ]
        let descriptor = try HIDReportDescriptor(parsing: keyboard)
        #expect(!descriptor.usesReportIDs)
        #expect(descriptor.reportLength(.input, reportID: 0) == 8)
        #expect(HIDPOSLayout(descriptor: descriptor) == nil)
        #expect(!HIDReportDescriptor.mentionsUsagePage(0x8C, in: keyboard))
        #expect(HIDReportDescriptor.mentionsUsagePage(0x8C, in: honeywellStyleDescriptor))
    }

    @Test("Random descriptors never crash the parser")
    func randomDescriptors() {
        var random = SplitMix(seed: 42)
        var parsed = 0
        for _ in 0..<3_000 {
            let length = Int.random(in: 0...80, using: &random)
            let noise = (0..<length).map { _ in UInt8.random(in: 0...255, using: &random) }
            if let descriptor = try? HIDReportDescriptor(parsing: noise) {
                parsed += 1
                _ = HIDPOSLayout(descriptor: descriptor)
            }
            _ = HIDReportDescriptor.mentionsUsagePage(0x8C, in: noise)
            _ = HIDPOSLayout.resolve(descriptorBytes: noise)
        }
        // Also mutate the real descriptor one byte at a time: the layouts found must stay in bounds.
        for index in honeywellStyleDescriptor.indices {
            for value: UInt8 in [0x00, 0x01, 0x7F, 0x80, 0xFE, 0xFF] {
                var mutated = honeywellStyleDescriptor
                mutated[index] = value
                let layout = HIDPOSLayout.resolve(descriptorBytes: mutated).layout
                var decoder = HIDPOSDecoder(layout: layout)
                _ = decoder.feed(report: posReport(data: bytes("ABC")), at: 1)
                _ = layout.beepReport(.goodRead)
            }
        }
        #expect(parsed < 3_000)
    }
}

@Suite("HID POS decoder (hid-pos)")
struct HIDPOSDecoderTests {
    @Test("One report: the data and its AIM symbology identifier")
    func singleReport() throws {
        var decoder = HIDPOSDecoder()
        let output = decoder.feed(report: posReport(data: bytes("SF1122334455667")), at: ms(5))
        let code = try #require(output.codes.first)
        #expect(code.text == "SF1122334455667")
        #expect(code.raw == bytes("SF1122334455667"))
        #expect(code.symbology == "]C0")
        #expect(code.completedAt == ms(5))
        #expect(code.terminator == .endOfReport)
        #expect(output.errors.isEmpty)
    }

    @Test("No symbology identifier (zeros) gives nil, not a guess")
    func noSymbology() throws {
        var decoder = HIDPOSDecoder()
        let code = try #require(
            decoder.feed(report: posReport(data: bytes("YT6900634716900"), aim: nil), at: 1).codes.first)
        #expect(code.text == "YT6900634716900")
        #expect(code.symbology == nil)
    }

    @Test("A code continued across three reports is joined, with the first report's identifier")
    func continuation() throws {
        let code = (0..<130).map { UInt8(ascii: "A") + UInt8($0 % 26) }
        var decoder = HIDPOSDecoder()
        var output = decoder.feed(report: posReport(data: Array(code[0..<56]), aim: "]Q1", continued: true), at: ms(1))
        output.append(
            decoder.feed(report: posReport(data: Array(code[56..<112]), aim: "]Q1", continued: true), at: ms(2)))
        #expect(output.isEmpty)
        output.append(decoder.feed(report: posReport(data: Array(code[112...]), aim: "]Q1"), at: ms(3)))
        let decoded = try #require(output.codes.first)
        #expect(output.codes.count == 1)
        #expect(decoded.raw == code)
        #expect(decoded.symbology == "]Q1")
        #expect(decoded.completedAt == ms(3))
    }

    @Test("A real Honeywell Voyager 1602g multi-report answer decodes (public trace)")
    func realTrace() throws {
        // The REVINF answer of a Voyager 1602g over HID POS, as published in HenkVanAsselt/python_hon_usbhid:
        // six reports joined by the continued bit, then a separate one.
        let reports: [[UInt8]] = [
            [
                2, 56, 93, 88, 48, 80, 114, 111, 100, 117, 99, 116, 32, 78, 97, 109, 101, 58, 32, 86, 111, 121, 97,
                103, 101, 114, 32, 49, 54, 48, 50, 103, 13, 10, 66, 111, 111, 116, 32, 82, 101, 118, 105, 115, 105,
                111, 110, 58, 32, 58, 32, 56, 57, 57, 50, 13, 10, 83, 111, 102, 116, 63, 0, 1,
            ],
            [
                2, 56, 93, 88, 48, 119, 97, 114, 101, 32, 80, 97, 114, 116, 32, 78, 117, 109, 98, 101, 114, 58, 32,
                67, 87, 48, 48, 48, 48, 56, 50, 66, 66, 65, 13, 10, 83, 111, 102, 116, 119, 97, 114, 101, 32, 82, 101,
                118, 105, 115, 105, 111, 110, 58, 32, 36, 80, 114, 111, 106, 101, 63, 0, 1,
            ],
            [
                2, 56, 93, 88, 48, 99, 116, 82, 101, 118, 105, 115, 105, 111, 110, 58, 32, 49, 54, 51, 52, 53, 32, 13,
                10, 83, 101, 114, 105, 97, 108, 32, 78, 117, 109, 98, 101, 114, 58, 32, 49, 53, 50, 51, 50, 66, 49, 70,
                48, 67, 13, 10, 83, 117, 112, 112, 111, 114, 116, 101, 100, 63, 0, 1,
            ],
            [
                2, 56, 93, 88, 48, 32, 73, 70, 58, 32, 66, 108, 117, 101, 116, 111, 111, 116, 104, 13, 10, 80, 67, 66,
                32, 65, 115, 115, 101, 109, 98, 108, 121, 32, 73, 68, 58, 32, 48, 48, 48, 48, 48, 48, 13, 10, 69, 110,
                103, 105, 110, 101, 32, 70, 105, 114, 109, 119, 97, 114, 101, 63, 0, 1,
            ],
            [
                2, 56, 93, 88, 48, 32, 84, 121, 112, 101, 58, 32, 78, 47, 65, 32, 32, 32, 82, 101, 118, 105, 115, 105,
                111, 110, 58, 32, 78, 47, 65, 32, 32, 32, 83, 101, 114, 105, 97, 108, 32, 78, 117, 109, 98, 101, 114,
                58, 32, 78, 47, 65, 32, 32, 32, 67, 104, 101, 99, 107, 115, 63, 0, 1,
            ],
            [2, 9, 93, 88, 48, 117, 109, 58, 32, 78, 47, 65, 13, 10] + [UInt8](repeating: 0, count: 47) + [63, 0, 0],
            [2, 8, 93, 90, 54, 82, 69, 86, 73, 78, 70, 6, 46] + [UInt8](repeating: 0, count: 48) + [54, 0, 0],
        ]
        var decoder = HIDPOSDecoder()
        var output = DecoderOutput()
        for (index, report) in reports.enumerated() {
            #expect(report.count == 64)
            output.append(decoder.feed(report: report, at: ms(UInt64(index))))
        }
        #expect(output.errors.isEmpty)
        #expect(
            output.codes.map(\.text) == [
                "Product Name: Voyager 1602g\r\nBoot Revision: : 8992\r\nSoftware Part Number: CW000082BBA\r\n"
                    + "Software Revision: $ProjectRevision: 16345 \r\nSerial Number: 15232B1F0C\r\n"
                    + "Supported IF: Bluetooth\r\nPCB Assembly ID: 000000\r\n"
                    + "Engine Firmware Type: N/A   Revision: N/A   Serial Number: N/A   Checksum: N/A\r\n",
                "REVINF\u{06}.",
            ])
        #expect(output.codes.map(\.symbology) == ["]X0", "]Z6"])
        #expect(output.codes.map(\.completedAt) == [ms(5), ms(6)])
    }

    @Test("A truncated report is an error; if it breaks a continued code, that code is dropped, not cut")
    func truncatedReports() throws {
        var decoder = HIDPOSDecoder()
        var output = decoder.feed(report: posReport(data: bytes("ABCDEFGH"), continued: true), at: ms(1))
        output.append(decoder.feed(report: posReport(data: bytes("IJKL"), continued: true).prefix(32), at: ms(2)))
        output.append(decoder.feed(report: posReport(data: bytes("MNOP")), at: ms(3)))  // the rest of that code
        output.append(decoder.feed(report: posReport(data: bytes("SF1122334455667")), at: ms(4)))
        #expect(output.codes.map(\.text) == ["SF1122334455667"])
        #expect(output.errors == [.malformedReport(length: 32, expected: 64), .incompleteCode(byteCount: 8)])
        #expect(decoder.counters.errors == 2)
    }

    @Test(
        "Garbage reports are counted errors, never crashes, and the next good report decodes",
        arguments: [
            ([], DecodeError.malformedReport(length: 0, expected: 64)),
            ([0x02], DecodeError.malformedReport(length: 1, expected: 64)),
            ([0x02, 0x05, 0x5D], DecodeError.malformedReport(length: 3, expected: 64)),
            ([0x07] + [UInt8](repeating: 0x41, count: 63), DecodeError.unexpectedReportID(7)),
            (posReport(data: bytes("ABC"), count: 57), DecodeError.byteCountTooLarge(count: 57, capacity: 56)),
            (posReport(data: bytes("ABC"), count: 255), DecodeError.byteCountTooLarge(count: 255, capacity: 56)),
        ] as [([UInt8], DecodeError)])
    func garbageReports(report: [UInt8], expected: DecodeError) {
        var decoder = HIDPOSDecoder()
        var output = decoder.feed(report: report, at: ms(1))
        output.append(decoder.feed(report: posReport(data: bytes("JT0006968326954")), at: ms(2)))
        #expect(output.errors == [expected])
        #expect(output.codes.map(\.text) == ["JT0006968326954"])
        #expect(decoder.counters[expected.kind] == 1)
    }

    @Test("A byte count beyond the data field inside a continued code drops the whole code")
    func badCountMidCode() {
        var decoder = HIDPOSDecoder()
        var output = decoder.feed(report: posReport(data: bytes("ABCD"), continued: true), at: ms(1))
        output.append(decoder.feed(report: posReport(data: bytes("EFGH"), continued: true, count: 200), at: ms(2)))
        output.append(decoder.feed(report: posReport(data: bytes("IJKL")), at: ms(3)))
        output.append(decoder.feed(report: posReport(data: bytes("78636098066239")), at: ms(4)))
        #expect(output.codes.map(\.text) == ["78636098066239"])
        #expect(output.errors == [.byteCountTooLarge(count: 200, capacity: 56), .incompleteCode(byteCount: 4)])
    }

    @Test("A continued code whose next report never comes is dropped after the continuation timeout")
    func continuationTimeout() {
        var decoder = HIDPOSDecoder(continuationTimeout: ms(500))
        _ = decoder.feed(report: posReport(data: bytes("SF11223344"), continued: true), at: ms(100))
        #expect(decoder.flush(now: ms(599)).isEmpty)
        #expect(decoder.flush(now: ms(600)).errors == [.incompleteCode(byteCount: 10)])
        let output = decoder.feed(report: posReport(data: bytes("SF1122334455667")), at: ms(700))
        #expect(output.codes.map(\.text) == ["SF1122334455667"])
    }

    @Test("Codes longer than the bound are dropped with an error")
    func maxCodeLength() {
        var decoder = HIDPOSDecoder(maxCodeLength: 100)
        let chunk = [UInt8](repeating: 0x41, count: 56)
        var output = DecoderOutput()
        for index in 0..<4 {
            output.append(decoder.feed(report: posReport(data: chunk, continued: index < 3), at: ms(UInt64(index))))
        }
        output.append(decoder.feed(report: posReport(data: bytes("OK12345678")), at: ms(10)))
        #expect(output.errors == [.codeTooLong(limit: 100)])
        #expect(output.codes.map(\.text) == ["OK12345678"])
    }

    @Test("Random reports never crash the decoder")
    func randomReports() {
        var decoder = HIDPOSDecoder()
        var random = SplitMix(seed: 7)
        for index in 0..<5_000 {
            var report = (0..<Int.random(in: 0...70, using: &random)).map { _ in
                UInt8.random(in: 0...255, using: &random)
            }
            if !report.isEmpty, Bool.random(using: &random) { report[0] = 2 }
            _ = decoder.feed(report: report, at: UInt64(index) * ms(3))
        }
        _ = decoder.flush(now: ms(1_000_000))
        let output = decoder.feed(report: posReport(data: bytes("SF1000000000000")), at: ms(1_000_001))
        #expect(output.codes.map(\.text) == ["SF1000000000000"])
    }
}
