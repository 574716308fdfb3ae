import Logging
import ScannerProtocols
import ScannerReaders
import Synchronization
import StationTestSupport
import Testing
import USBEmulator
import USBTransport

/// Issue #10 (a code split in two on a busy box) and issue #16 finding 6 (unbounded input), through real
/// libusb against the emulated keyboard-wedge scanner, with the default 100 ms silence rule.
@Suite("Reader framing under load, length cap, bounded stream", .enabled(if: USBTestbed.isAvailable, "needs the umockdev preload"))
struct FramingReaderTests {
    /// Reports of one code, then the index of the report in the middle of it (after `PC02K00000`).
    static let splitCode = "PC02K000009"
    static let middle = Typist.type("PC02K00000", terminator: nil).count

    @Test("the reader delayed 300 ms in the middle of a code (reports already handed over) does not split it",
          .timeLimit(.minutes(1)))
    func readerDelayedMidCode() async throws {
        // The first code of a fresh reader: the scanner has not shown its Enter yet, so only the rule
        // "silence is the device's" protects it. Input number `middle` (0-based) is held for 300 ms
        // before decoding, while the reports after it reach the agent on time.
        let seen = Atomic<Int>(0)
        let hooks = ScannerReaderHooks { _ in
            if seen.add(1, ordering: .relaxed).newValue == Self.middle + 1 {
                try? await Task.sleep(for: .milliseconds(300))
            }
        }
        try await withReader(.keyboard, hooks: hooks) { bench in
            bench.device.deliver(endpoint: 0x81, reports: Typist.type(Self.splitCode), interval: .milliseconds(8))
            let scans = try await collect(bench.reader, 1)
            #expect(scans.map(\.text) == [Self.splitCode])
            #expect(scans.map(\.terminator) == [.enter])
            await bench.reader.close()
            #expect(try await remaining(bench.reader).isEmpty, "no second piece")
            #expect(bench.reader.counters.codes == 1)
        }
    }

    @Test("libusb's event thread stalled 300 ms in the middle of a code does not split it once the scanner has sent Enter",
          .timeLimit(.minutes(1)))
    func eventThreadStalledMidCode() async throws {
        try await withReader(.keyboard) { bench in
            let first = Typist.type("SF1122334455667")
            bench.device.deliver(endpoint: 0x81, reports: first, interval: .milliseconds(8))
            #expect(try await collect(bench.reader, 1).map(\.text) == ["SF1122334455667"])
            // The host stops reaping for 300 ms after `PC02K00000`; the device keeps its 8 ms pace, so the
            // rest of the code waits on the device side and then arrives in a bunch, 300 ms late.
            bench.device.stallReaping(afterDelivered: first.count + Self.middle, for: .milliseconds(300))
            let start = MonotonicClock.now()
            bench.device.deliver(endpoint: 0x81, reports: Typist.type(Self.splitCode), interval: .milliseconds(8))
            let scans = try await collect(bench.reader, 1)
            #expect(MonotonicClock.now() - start >= 300_000_000, "the stall happened")
            #expect(scans.map(\.text) == [Self.splitCode])
            await bench.reader.close()
            #expect(try await remaining(bench.reader).isEmpty, "no second piece")
            #expect(bench.reader.counters.codes == 2)
            #expect(bench.reader.counters.errors == 0)
        }
    }

    @Test("a 10,000-character keyboard code is dropped and counted, with one short log line; the next code is read",
          .timeLimit(.minutes(1)))
    func overlongKeyboardCode() async throws {
        let log = CapturedLog()
        try await withReader(.keyboard, logger: log.logger) { bench in
            let long = String(repeating: "0123456789", count: 1_000)
            bench.device.deliver(endpoint: 0x81, reports: Typist.type(long) + Typist.type("SF1122334455667"))
            let scans = try await collect(bench.reader, 1, within: 30)
            #expect(scans.map(\.text) == ["SF1122334455667"])
            #expect(bench.reader.counters[.codeTooLong] == 1)
            let lines = log.messages.filter { $0.contains("longer than") }
            #expect(lines == ["warning: cannot decode input from desk-scanner (0c2e:0b61 at 1-1.2): code longer than 512 bytes dropped"])
            #expect(log.messages.allSatisfy { $0.count < 300 }, "no line carries the code")
        }
    }

    @Test("a consumer that falls behind: the reader holds its buffer's worth, drops and counts the rest, logs at most 10 lines a second",
          .timeLimit(.minutes(1)))
    func boundedStream() async throws {
        let log = CapturedLog()
        let options = ScannerReaderOptions(scanBufferCapacity: 5)
        let codes = distinctCodes(40)
        try await withReader(.keyboard, options: options, logger: log.logger) { bench in
            // Nobody reads `scans` while the 40 codes come in.
            bench.device.deliver(endpoint: 0x81, reports: codes.flatMap { Typist.type($0) })
            try await waitUntil(20, "all 40 codes decoded") { bench.reader.counters.codes == 40 }
            #expect(bench.reader.droppedScans == 35)
            await bench.reader.close()
            let kept = try await remaining(bench.reader)
            #expect(kept.map(\.text) == Array(codes.prefix(5)), "the oldest are kept, in order")
            let dropped = log.timedMessages.filter { $0.message.contains("NOT recorded") }
            // The reader's limit is per second: on a slow machine the 40 codes may take longer than one, and
            // each second opened may say 10 more. Every drop is either said or counted in the closing totals.
            let span = (dropped.last?.at ?? .now) - (dropped.first?.at ?? .now)
            let seconds = Int(span.components.seconds) + 1
            #expect(dropped.count >= 10, "the first second says 10 drops")
            #expect(dropped.count <= 10 * seconds, "at most 10 lines a second about one device (\(dropped.count) in \(span))")
            #expect(dropped.first?.message.contains(codes[5].debugDescription) == true)
            let totals = log.messages.first { $0.contains("35 scans dropped") }
            #expect(totals?.contains("(\(35 - dropped.count) lines not logged)") == true, "every drop said or counted: \(totals ?? "none")")
        }
    }
}
