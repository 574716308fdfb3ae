import ScannerProtocols
import ScannerReaders
import StationTestSupport
import Testing
import USBEmulator
import USBTransport

/// hid-pos through real libusb against the emulated Xenon 1950g (0c2e:1007, interrupt IN 0x81 and OUT
/// 0x02 of 64 bytes, Honeywell-style report descriptor).
@Suite("HID POS reader", .enabled(if: USBTestbed.isAvailable, "needs the umockdev preload"))
struct HIDPOSReaderTests {
    /// The device as listed, minus the report descriptor sysfs shows while usbhid is bound.
    static func withoutSysfsDescriptor(_ info: USBDeviceInfo) -> USBDeviceInfo {
        USBDeviceInfo(
            id: info.id, port: info.port, vendorID: info.vendorID, productID: info.productID,
            deviceClass: info.deviceClass, deviceSubclass: info.deviceSubclass, deviceProtocol: info.deviceProtocol,
            release: info.release, manufacturer: info.manufacturer, product: info.product, serial: info.serial,
            interfaces: info.interfaces.map { interface in
                USBInterfaceInfo(
                    number: interface.number, interfaceClass: interface.interfaceClass,
                    interfaceSubclass: interface.interfaceSubclass, interfaceProtocol: interface.interfaceProtocol,
                    endpoints: interface.endpoints, kernelDriver: interface.kernelDriver,
                    extraDescriptors: interface.extraDescriptors, hidReportDescriptor: nil)
            })
    }

    static let getReportDescriptor = [0x81, 0x06, 0x2200, 0]

    @Test("layout from sysfs; codes at 8 ms with AIM identifiers, one continued over 3 reports",
          .timeLimit(.minutes(1)))
    func realisticPace() async throws {
        let long = String(repeating: "0123456789ABCDEFGHIJ", count: 7) + "0123456789"  // 150 bytes: 56 + 56 + 38
        try await withReader(.hidPOS) { bench in
            #expect(bench.reader.match.layoutFromDescriptor)
            #expect(bench.device.events == ["detach 0", "claim 0"])
            #expect(!bench.device.controlRequests.contains { $0.setup == Self.getReportDescriptor }, "sysfs had it")
            let reports = posReports("SF1122334455667") + posReports(long, aim: "]Q1") + posReports("EA123456785CN", aim: "]E0")
            #expect(reports.count == 5)
            bench.device.deliver(endpoint: 0x81, reports: reports, interval: .milliseconds(8))
            let scans = try await collect(bench.reader, 3)
            #expect(scans.map(\.text) == ["SF1122334455667", long, "EA123456785CN"])
            #expect(scans.map(\.symbology) == ["]C0", "]Q1", "]E0"])
            #expect(scans.map(\.terminator) == [.endOfReport, .endOfReport, .endOfReport])
            #expect(scans[1].raw.count == 150)
            #expect(scans.allSatisfy { $0.scannerProtocol == .hidPOS && $0.device.serial == "19050X0042" })
        }
    }

    @Test("verdicts: good-read and error beep output reports on the interrupt OUT endpoint", .timeLimit(.minutes(1)))
    func beepsOnInterruptOut() async throws {
        try await withReader(.hidPOS) { bench in
            do {
                let got = try await bench.reader.giveFeedback(.good)
                #expect(got == .outputReport([0x04, 0x40], endpoint: 0x02))
            }
            do {
                let got = try await bench.reader.giveFeedback(.bad, serialBytes: ascii("ignored"))
                #expect(got == .outputReport([0x04, 0x20], endpoint: 0x02))
            }
            #expect(bench.device.written[0x02] == [[0x04, 0x40], [0x04, 0x20]])
        }
    }

    @Test("without a descriptor from sysfs the reader asks the device (GET_DESCRIPTOR 0x22); 50 codes at 1 ms",
          .timeLimit(.minutes(1)))
    func descriptorFromDevice() async throws {
        let codes = distinctCodes(50)
        try await withReader(.hidPOS, configured: .hidPOS, adjustInfo: Self.withoutSysfsDescriptor) { bench in
            let asked = try #require(bench.device.controlRequests.first { $0.setup == Self.getReportDescriptor })
            #expect(asked.requestType == 0x81)
            #expect(bench.reader.match.layoutFromDescriptor)
            #expect(bench.reader.match.hidPOSLayout == HIDPOSLayout.resolve(descriptorBytes: honeywellFixtureDescriptor).layout)
            bench.device.deliver(endpoint: 0x81, reports: codes.flatMap { posReports($0) }, interval: .milliseconds(1))
            let scans = try await collect(bench.reader, 50, within: 20)
            #expect(scans.map(\.text) == codes)
            await bench.reader.close()
            #expect(try await remaining(bench.reader).isEmpty)
            #expect(bench.reader.counters.errors == 0)
        }
    }

    @Test("50 codes queued at once, some continued: none lost, none merged", .timeLimit(.minutes(1)))
    func maximumSpeed() async throws {
        let codes = distinctCodes(50).enumerated().map { index, code in
            index % 5 == 0 ? code + String(repeating: "-", count: 60) + code : code
        }
        try await withReader(.hidPOS) { bench in
            bench.device.deliver(endpoint: 0x81, reports: codes.flatMap { posReports($0) })
            let scans = try await collect(bench.reader, 50, within: 20)
            #expect(scans.map(\.text) == codes)
            #expect(bench.reader.counters.errors == 0)
        }
    }

    @Test("no interrupt OUT endpoint: the beep goes as HID SET_REPORT(Output)", .timeLimit(.minutes(1)))
    func beepBySetReport() async throws {
        try await withReader(.hidPOS, adjust: { match in
            var match = match
            match.outEndpoint = nil
            return match
        }) { bench in
            do {
                let got = try await bench.reader.giveFeedback(.good)
                #expect(got == .setReport([0x04, 0x40]))
            }
            let request = try #require(bench.device.controlRequests.last)
            #expect(request.setup == [0x21, 0x09, 0x0204, 0])
            #expect(request.data == [0x04, 0x40])
            #expect(bench.device.written.isEmpty)
        }
    }

    @Test("a device that stalls GET_DESCRIPTOR is read with Honeywell's layout", .timeLimit(.minutes(1)))
    func descriptorStalled() async throws {
        try await withReader(
            .hidPOS, configured: .hidPOS, adjustInfo: Self.withoutSysfsDescriptor,
            prepare: { device in device.stallControlRequests { $0.request == 0x06 && $0.value == 0x2200 } }
        ) { bench in
            #expect(bench.device.controlRequests.contains { $0.setup == Self.getReportDescriptor })
            #expect(!bench.reader.match.layoutFromDescriptor)
            #expect(bench.reader.match.hidPOSLayout == .honeywell)
            bench.device.deliver(endpoint: 0x81, reports: posReports("JT0006968326954"))
            do {
                let got = try await collect(bench.reader, 1).map(\.text)
                #expect(got == ["JT0006968326954"])
            }
        }
    }

    @Test("a report with another ID or a byte count past the data field is counted, not decoded",
          .timeLimit(.minutes(1)))
    func badReports() async throws {
        try await withReader(.hidPOS) { bench in
            var wrongID = posReport(data: ascii("NOPE"))
            wrongID[0] = 7
            var tooMany = posReport(data: ascii("NOPE"))
            tooMany[1] = 60
            bench.device.deliver(endpoint: 0x81, reports: [wrongID, tooMany] + posReports("SF1122334455667"))
            do {
                let got = try await collect(bench.reader, 1).map(\.text)
                #expect(got == ["SF1122334455667"])
            }
            #expect(bench.reader.counters[.unexpectedReportID] == 1)
            #expect(bench.reader.counters[.byteCountTooLarge] == 1)
        }
    }
}

/// The report descriptor of `hidpos-scanner.umockdev`.
let honeywellFixtureDescriptor: [UInt8] = {
    let hex = "058C0902A1010912A1028502150026FF00750895010666FF09018102058C19FB29FD9503810209FE95388202010666FF0902090395028102058C09FF250175019501810295078103C085047501950191030666FF09100911950291029103058C0985098691029501910385FE0666FF0920750826FF00B102FE0210AABBC0"
    let digits = Array(hex.utf8).map { $0 <= 0x39 ? $0 - 0x30 : $0 - 0x41 + 10 }
    return stride(from: 0, to: digits.count, by: 2).map { digits[$0] << 4 | digits[$0 + 1] }
}()
