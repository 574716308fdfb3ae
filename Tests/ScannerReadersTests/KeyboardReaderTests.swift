import ScannerProtocols
import ScannerReaders
import StationTestSupport
import Testing
import USBEmulator
import USBTransport

/// hid-keyboard through real libusb against the emulated Voyager 1250g (0c2e:0b61, EP 0x81, 8 bytes).
@Suite("Keyboard-wedge reader", .enabled(if: USBTestbed.isAvailable, "needs the umockdev preload"))
struct KeyboardReaderTests {
    @Test("setup detaches usbhid, sends SET_PROTOCOL(boot) and SET_IDLE(0); close gives the keyboard back",
          .timeLimit(.minutes(1)))
    func setup() async throws {
        let device = try await withReader(.keyboard) { bench in
            #expect(bench.reader.match.scannerProtocol == .hidKeyboard)
            #expect(bench.device.events == ["detach 0", "claim 0"])
            #expect(bench.device.controlRequests.map(\.setup) == [[0x21, 0x0B, 0, 0], [0x21, 0x0A, 0, 0]])
            #expect(bench.device.kernelDriver(interface: 0) == "usbfs")
            do {
                let got = try await bench.reader.giveFeedback(.good)
                #expect(got == .nothing(reason: "a keyboard wedge has no channel back"))
            }
            await bench.reader.close()
            #expect(await bench.reader.outcome == .stopped)
            #expect(bench.device.written.isEmpty)
            return bench.device
        }
        #expect(device.events.suffix(2) == ["release 0", "attach 0"])
        #expect(device.kernelDriver(interface: 0) == "usbhid", "the scanner types into the console again")
    }

    /// Options for tests whose codes all end with Enter or Tab: the silence timeout is not what
    /// they test, and at 100 ms a stalled test machine could end a code early.
    static let stallProof = ScannerReaderOptions(keyboardSilenceTimeout: .seconds(3))

    @Test("codes at a realistic pace (8 ms reports) come out exactly; the first scan after start is kept",
          .timeLimit(.minutes(1)))
    func realisticPace() async throws {
        let first = "SF1122334455667"
        // The first code is already being typed when the reader starts. Every code ends with a
        // terminator here, so a long silence timeout keeps a scheduling stall on a loaded machine
        // from splitting one (the timeout itself has its own test).
        try await withReader(.keyboard, options: Self.stallProof, prepare: { device in
            device.deliver(endpoint: 0x81, reports: Typist.type(first), interval: .milliseconds(8))
        }) { bench in
            let start = MonotonicClock.now()
            bench.device.deliver(
                endpoint: 0x81,
                reports: Typist.type("AbCdEf-XyZ_q", alternateShift: true)
                    + Typist.type("YT6900634716900", terminator: Typist.keypadEnter, keypad: true)
                    + Typist.type("JDVA00012345678", terminator: Typist.tab),
                interval: .milliseconds(8))
            let scans = try await collect(bench.reader, 4)
            #expect(scans.map(\.text) == [first, "AbCdEf-XyZ_q", "YT6900634716900", "JDVA00012345678"])
            #expect(scans.map(\.terminator) == [.enter, .enter, .enter, .tab])
            #expect(scans[0].raw == ascii(first))
            #expect(scans.allSatisfy { $0.symbology == nil && $0.source == .usb && $0.scannerProtocol == .hidKeyboard })
            #expect(scans.allSatisfy {
                $0.device == ScannerIdentity(name: "desk-scanner", vendorID: 0x0C2E, productID: 0x0B61, serial: "17250B1234", port: "1-1.2")
            })
            #expect(zip(scans, scans.dropFirst()).allSatisfy { $0.completedAt < $1.completedAt })
            // The three codes typed after `start` take 8 ms per report: the last completes ≥ 0.7 s later.
            #expect(scans[3].completedAt >= start + 700_000_000)
            #expect(bench.reader.counters.codes == 4)
            #expect(bench.reader.counters.errors == 0)
        }
    }

    @Test("50 codes back to back, all queued at once: none lost, none merged", .timeLimit(.minutes(1)))
    func maximumSpeed() async throws {
        let codes = distinctCodes(50)
        try await withReader(.keyboard) { bench in
            bench.device.deliver(endpoint: 0x81, reports: codes.flatMap { Typist.type($0) })
            let scans = try await collect(bench.reader, 50, within: 20)
            #expect(scans.map(\.text) == codes)
            await bench.reader.close()
            #expect(try await remaining(bench.reader).isEmpty, "no extra or split codes")
            #expect(bench.reader.counters.codes == 50)
            #expect(bench.reader.counters.errors == 0)
        }
    }

    @Test("50 codes at 1 ms reports (turbo polling), mixed case and keypad", .timeLimit(.minutes(1)))
    func turboPace() async throws {
        let codes = distinctCodes(50).enumerated().map { index, code in index % 3 == 0 ? "Ab" + code.lowercased() : code }
        try await withReader(.keyboard, options: Self.stallProof) { bench in
            bench.device.deliver(
                endpoint: 0x81,
                reports: codes.enumerated().flatMap { index, code in Typist.type(code, keypad: index % 2 == 1) },
                interval: .milliseconds(1))
            let scans = try await collect(bench.reader, 50, within: 30)
            #expect(scans.map(\.text) == codes)
            #expect(bench.reader.counters.errors == 0)
        }
    }

    @Test("a code without Enter ends after 100 ms of silence, and the next code stays separate",
          .timeLimit(.minutes(1)))
    func silenceEndsCode() async throws {
        try await withReader(.keyboard) { bench in
            // Queued at once: a paced delivery could see a scheduling gap of 100 ms mid-code on a
            // loaded machine and split it, which is the behaviour under test, not a fault.
            bench.device.deliver(endpoint: 0x81, reports: Typist.type("78636098066239", terminator: nil))
            let first = try await collect(bench.reader, 1)
            let receivedAt = MonotonicClock.now()
            #expect(first.map(\.text) == ["78636098066239"])
            #expect(first.first?.terminator == .timeout)
            // Delivered by the timer, not by the next transfer, and not before the silence was over.
            let completedAt = try #require(first.first?.completedAt)
            #expect(receivedAt >= completedAt + 100_000_000)
            #expect(receivedAt < completedAt + 1_000_000_000)

            bench.device.deliver(endpoint: 0x81, reports: Typist.type("SF1122334455667", terminator: nil))
            let second = try await collect(bench.reader, 1)
            #expect(second.map(\.text) == ["SF1122334455667"])
        }
    }

    @Test("a scanner that stalls SET_PROTOCOL and SET_IDLE is still read", .timeLimit(.minutes(1)))
    func stalledSetup() async throws {
        try await withReader(.keyboard, prepare: { device in
            device.stallControlRequests { $0.requestType == 0x21 }
        }) { bench in
            #expect(bench.device.controlRequests.count == 2)
            bench.device.deliver(endpoint: 0x81, reports: Typist.type("JT0006968326954"))
            do {
                let got = try await collect(bench.reader, 1).map(\.text)
                #expect(got == ["JT0006968326954"])
            }
        }
    }

    @Test("garbage and phantom reports are counted, never fatal", .timeLimit(.minutes(1)))
    func garbage() async throws {
        try await withReader(.keyboard) { bench in
            bench.device.deliver(
                endpoint: 0x81,
                reports: [[0x02, 0x00, 0x16]]  // truncated
                    + [Typist.report([0x01, 0x01, 0x01, 0x01, 0x01, 0x01])]  // phantom (roll-over error)
                    + Typist.type("SF1122334455667"))
            do {
                let got = try await collect(bench.reader, 1).map(\.text)
                #expect(got == ["SF1122334455667"])
            }
            #expect(bench.reader.counters[.malformedReport] == 1)
            #expect(bench.reader.counters.ignoredReports == 1)
        }
    }

    @Test("unplugging mid-code ends the reader as unplugged, after the complete codes", .timeLimit(.minutes(1)))
    func unplugMidStream() async throws {
        // On a loaded machine the unplug may come over 100 ms after the last report, and silence would then end
        // the partial code legitimately ("YT690", seen once). This test is about the unplug.
        try await withReader(.keyboard, options: Self.stallProof) { bench in
            let partial = Array(Typist.type("YT6900634716900").prefix(10))
            bench.device.deliver(endpoint: 0x81, reports: Typist.type("SF1122334455667") + partial, interval: .milliseconds(1))
            try await waitUntil(5, "every report polled") { bench.device.undeliveredReports == 0 }
            bench.testbed.unplug(bench.device)
            let outcome = try await withTimeout(5, "the reader to end") { await bench.reader.outcome }
            #expect(outcome == .unplugged)
            let scans = try await remaining(bench.reader)
            #expect(scans.map(\.text) == ["SF1122334455667"], "the cut-off code is dropped, not delivered short")
        }
    }
}
