import ScannerProtocols
import ScannerReaders
import StationTestSupport
import Testing
import USBEmulator
import USBTransport

/// cdc-acm through real libusb against the emulated Newland NLS-HR22 (1eab:1d06: control interface 0,
/// data interface 1 with bulk IN 0x81 and bulk OUT 0x02).
@Suite("CDC-ACM reader", .enabled(if: USBTestbed.isAvailable, "needs the umockdev preload"))
struct CDCACMReaderTests {
    @Test("setup claims both interfaces and sends line coding and DTR/RTS to the control interface",
          .timeLimit(.minutes(1)), arguments: [(115_200, [0x00, 0xC2, 0x01, 0x00]), (9_600, [0x80, 0x25, 0x00, 0x00])])
    func setup(baud: Int, rate: [UInt8]) async throws {
        let options = ScannerReaderOptions(serialLine: SerialLineSettings(baudRate: baud))
        let device = try await withReader(.cdcACM, options: options) { bench in
            #expect(bench.reader.match.interfaceNumber == 1)
            #expect(bench.reader.match.controlInterfaceNumber == 0)
            // cdc_acm holds both interfaces: detaching it from the control interface frees the data one.
            #expect(bench.device.events == ["detach 0", "claim 0", "claim 1"])
            let requests = bench.device.controlRequests
            #expect(requests.map(\.setup) == [[0x21, 0x20, 0, 0], [0x21, 0x22, 3, 0]])
            #expect(requests.first?.data == rate + [0, 0, 8], "\(baud) baud, 1 stop bit, no parity, 8 data bits")
            return bench.device
        }
        #expect(device.kernelDriver(interface: 0) == "cdc_acm")
        #expect(device.kernelDriver(interface: 1) == "cdc_acm")
        #expect(device.events.suffix(3) == ["release 0", "release 1", "attach 0"], "\(device.events)")
    }

    @Test("framing at a realistic pace: a code split across transfers, two in one, CRLF split in two",
          .timeLimit(.minutes(1)))
    func framing() async throws {
        try await withReader(.cdcACM) { bench in
            let chunks = ["SF11223", "34455667\r", "\nYT6900634716900\r\nJT0006968326954\r\n", "78636", "098066239\n", "\r\n"]
            bench.device.deliver(endpoint: 0x81, reports: chunks.map(ascii), interval: .milliseconds(8))
            let scans = try await collect(bench.reader, 4)
            #expect(scans.map(\.text) == ["SF1122334455667", "YT6900634716900", "JT0006968326954", "78636098066239"])
            #expect(scans.allSatisfy { $0.terminator == .lineEnd && $0.scannerProtocol == .cdcACM })
            await bench.reader.close()
            #expect(try await remaining(bench.reader).isEmpty, "a CRLF never makes an empty or second code")
        }
    }

    @Test("50 codes at maximum speed, in transfers that cut them anywhere", .timeLimit(.minutes(1)))
    func maximumSpeed() async throws {
        let codes = distinctCodes(50)
        let stream = ascii(codes.map { $0 + "\r\n" }.joined())
        let chunks = stride(from: 0, to: stream.count, by: 37).map { Array(stream[$0..<min($0 + 37, stream.count)]) }
        try await withReader(.cdcACM) { bench in
            bench.device.deliver(endpoint: 0x81, reports: chunks)
            let scans = try await collect(bench.reader, 50, within: 20)
            #expect(scans.map(\.text) == codes)
            #expect(zip(scans, scans.dropFirst()).allSatisfy { $0.completedAt <= $1.completedAt })
            await bench.reader.close()
            #expect(try await remaining(bench.reader).isEmpty)
        }
    }

    @Test("verdict bytes are written on bulk OUT", .timeLimit(.minutes(1)))
    func feedback() async throws {
        try await withReader(.cdcACM) { bench in
            do {
                let got = try await bench.reader.giveFeedback(.good, serialBytes: ascii("OK\r\n"))
                #expect(got == .serialBytes(ascii("OK\r\n"), endpoint: 0x02))
            }
            do {
                let got = try await bench.reader.giveFeedback(.bad, serialBytes: ascii("NG\r\n"))
                #expect(got == .serialBytes(ascii("NG\r\n"), endpoint: 0x02))
            }
            do {
                let got = try await bench.reader.giveFeedback(.bad)
                #expect(got == .nothing(reason: "no feedback bytes are configured for this verdict"))
            }
            #expect(bench.device.written[0x02] == [ascii("OK\r\n"), ascii("NG\r\n")])
        }
    }

    @Test("unplugging ends a serial reader as unplugged", .timeLimit(.minutes(1)))
    func unplug() async throws {
        try await withReader(.cdcACM) { bench in
            bench.device.deliver(endpoint: 0x81, ascii("SF1122334455667\r\nYT69006"))
            do {
                let got = try await collect(bench.reader, 1).map(\.text)
                #expect(got == ["SF1122334455667"])
            }
            bench.testbed.unplug(bench.device)
            do {
                let got = try await withTimeout(5, "the reader to end") { await bench.reader.outcome }
                #expect(got == .unplugged)
            }
            #expect(try await remaining(bench.reader).isEmpty)
            // A verdict for the last scan can no longer be delivered: the error says the device is gone.
            do throws(ScannerReaderError) {
                try await bench.reader.giveFeedback(.good, serialBytes: ascii("OK\r\n"))
                Issue.record("feedback to an unplugged device succeeded")
            } catch {
                #expect(error.isDeviceGone, "\(error)")
                #expect(error.step == .feedback)
            }
        }
    }
}

/// ftdi through real libusb against the emulated FT232R adapter (0403:6001, bulk IN 0x81 / OUT 0x02 of 64).
@Suite("FTDI reader", .enabled(if: USBTestbed.isAvailable, "needs the umockdev preload"))
struct FTDIReaderTests {
    @Test("setup sends the FTDI vendor requests: reset, baud, 8N1, no flow control, DTR/RTS, latency, purge",
          .timeLimit(.minutes(1)))
    func setup() async throws {
        let options = ScannerReaderOptions(ftdiLatencyTimer: 2)
        let device = try await withReader(.ftdi, options: options) { bench in
            #expect(bench.reader.match.scannerProtocol == .ftdi)
            #expect(bench.device.events == ["detach 0", "claim 0"])
            #expect(bench.device.controlRequests.map(\.setup) == [
                [0x40, 0, 0, 0],  // reset
                [0x40, 3, 0x001A, 0],  // 115200 baud
                [0x40, 4, 0x0008, 0],  // 8N1
                [0x40, 2, 0, 0],  // no flow control
                [0x40, 1, 0x0303, 0],  // DTR and RTS
                [0x40, 9, 2, 0],  // latency timer 2 ms
                [0x40, 0, 1, 0],  // purge RX
            ])
            return bench.device
        }
        #expect(device.kernelDriver(interface: 0) == "ftdi_sio")
    }

    @Test("status bytes at every 64-byte packet are stripped, status-only packets ignored (realistic pace)",
          .timeLimit(.minutes(1)))
    func statusBytes() async throws {
        let long = String(repeating: "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789", count: 4)  // 144 bytes: 3 packets
        try await withReader(.ftdi) { bench in
            let transfers = [
                [0x01, 0x60], [0x01, 0x60],  // idle
                ftdiTransfer(ascii(long + "\r\n")),  // status at 0, 64, 128
                ftdiTransfer(ascii("SF11223")), [0x01, 0x60], ftdiTransfer(ascii("34455667\r\nYT6900634716900\r")),
                ftdiTransfer(ascii("\n")), [0x01, 0x60],
            ]
            #expect(transfers[2].count == 146 + 6)
            bench.device.deliver(endpoint: 0x81, reports: transfers, interval: .milliseconds(16))
            let scans = try await collect(bench.reader, 3)
            #expect(scans.map(\.text) == [long, "SF1122334455667", "YT6900634716900"])
            #expect(scans.allSatisfy { $0.scannerProtocol == .ftdi && $0.device.serial == "A10KXYZ9" })
            await bench.reader.close()
            #expect(try await remaining(bench.reader).isEmpty)
            #expect(bench.reader.counters.errors == 0)
        }
    }

    @Test("50 codes at maximum speed in multi-packet transfers", .timeLimit(.minutes(1)))
    func maximumSpeed() async throws {
        let codes = distinctCodes(50)
        let stream = ascii(codes.map { $0 + "\r\n" }.joined())
        // Transfers of up to 4 full packets (248 data bytes), as a chip with a full FIFO sends them.
        let transfers = stride(from: 0, to: stream.count, by: 248).map {
            ftdiTransfer(Array(stream[$0..<min($0 + 248, stream.count)]))
        }
        try await withReader(.ftdi) { bench in
            bench.device.deliver(endpoint: 0x81, reports: transfers)
            let scans = try await collect(bench.reader, 50, within: 20)
            #expect(scans.map(\.text) == codes)
            #expect(bench.reader.counters.errors == 0)
        }
    }

    @Test("a line error in a packet's status is counted", .timeLimit(.minutes(1)))
    func lineError() async throws {
        try await withReader(.ftdi) { bench in
            bench.device.deliver(
                endpoint: 0x81, ftdiTransfer(ascii("JT0006968326954\r\n"), status: (0x01, 0x62)))  // overrun
            do {
                let got = try await collect(bench.reader, 1).map(\.text)
                #expect(got == ["JT0006968326954"])
            }
            #expect(bench.reader.counters[.serialLineError] == 1)
        }
    }

    @Test("verdict bytes are written on bulk OUT", .timeLimit(.minutes(1)))
    func feedback() async throws {
        try await withReader(.ftdi) { bench in
            do {
                let got = try await bench.reader.giveFeedback(.good, serialBytes: ascii("OK\r\n"))
                #expect(got == .serialBytes(ascii("OK\r\n"), endpoint: 0x02))
            }
            do {
                let got = try await bench.reader.giveFeedback(.bad, serialBytes: [0x07])
                #expect(got == .serialBytes([0x07], endpoint: 0x02))
            }
            #expect(bench.device.written[0x02] == [ascii("OK\r\n"), [0x07]])
        }
    }
}
