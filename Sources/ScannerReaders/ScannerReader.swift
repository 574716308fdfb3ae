public import Logging
public import ScannerProtocols
public import USBTransport
import Synchronization

/// Reads one scanner: holds its interfaces, sets its protocol up, turns its USB input into ``Scan``s and
/// sends verdicts back to it.
///
/// Reading starts inside ``open(context:device:match:name:options:logger:)``, before it returns, and scans
/// wait in ``scans`` for the consumer: the first scan after start is never lost, and reading never waits on
/// the consumer (or on the disk behind it). The buffer holds ``ScannerReaderOptions/scanBufferCapacity``
/// scans; a scan beyond that is dropped, counted in ``droppedScans`` and logged as not recorded, so a device
/// that floods the agent cannot grow its memory. The reader ends when the device is unplugged, when
/// reading fails, or on ``close()``; ``outcome`` says which, so a device manager knows whether to wait for
/// a re-plug or to retry.
///
/// Codes that end by silence (keyboard wedges that have not shown a terminator, and serial scanners when a
/// silence timeout is configured) are completed by a timer task that sleeps until the deadline; HID POS
/// codes whose "continued" reports stop coming are dropped the same way. Silence is the device's: the timer
/// completes nothing while input that libusb has already handed over waits to be decoded (the reader is
/// behind), so a slow box never ends a code between two of its reports.
public final class ScannerReader: Sendable {
    /// Who the scans are from.
    public let identity: ScannerIdentity
    /// The match in use: for HID POS, with the layout read from the device if the given match had none.
    public let match: ProtocolMatch
    /// Every code read, in order. Finishes when the reader ends (after the last code).
    public let scans: AsyncStream<Scan>

    let handle: USBDeviceHandle
    let logger: Logger
    private let core: ReaderCore
    private let reading: Task<ReaderOutcome, Never>
    private let timer: Task<Void, Never>

    private init(
        identity: ScannerIdentity, match: ProtocolMatch, handle: USBDeviceHandle, decoder: ScanDecoder,
        readLength: Int, options: ScannerReaderOptions, hooks: ScannerReaderHooks, logger: Logger
    ) {
        self.identity = identity
        self.match = match
        self.handle = handle
        self.logger = logger
        let (scans, continuation) = AsyncStream<Scan>.makeStream(
            bufferingPolicy: .bufferingOldest(options.scanBufferCapacity))
        self.scans = scans
        let (wakeups, wake) = AsyncStream<Void>.makeStream(bufferingPolicy: .bufferingNewest(1))
        let tally = USBInputTally()
        let core = ReaderCore(
            identity: identity, scannerProtocol: match.scannerProtocol, decoder: decoder, scans: continuation,
            capacity: options.scanBufferCapacity, wake: wake, tally: tally, logger: logger)
        self.core = core
        // Submitted now: a scan made while the caller is still wiring things up waits in `scans`.
        let input = handle.inputStream(
            endpoint: match.inEndpoint.address,
            type: match.inEndpoint.transferType == .bulk ? .bulk : .interrupt, length: readLength,
            transfersInFlight: options.transfersInFlight, tally: tally)
        let timer = Task { await core.runTimer(wakeups) }
        self.timer = timer
        let beforeDecoding = hooks.beforeDecoding
        self.reading = Task { [handle] in
            var failure: (any Error)?
            do {
                for try await chunk in input {
                    if let beforeDecoding { await beforeDecoding(chunk) }
                    core.feed(chunk)
                }
            } catch {
                failure = error
            }
            timer.cancel()
            let outcome = core.outcome(after: failure, device: identity.description)
            await handle.close()
            core.finish(outcome)
            return outcome
        }
    }

    /// Opens `device`, claims what `match` names (detaching kernel drivers), sets the protocol up and starts
    /// reading.
    ///
    /// Setup per protocol: hid-keyboard sends SET_PROTOCOL(boot) and SET_IDLE(0) (a stall is fine: many
    /// scanners are boot-only); hid-pos reads the report descriptor with GET_DESCRIPTOR when `match` has no
    /// layout from it (falling back to Honeywell's layout); cdc-acm sends SET_LINE_CODING and
    /// SET_CONTROL_LINE_STATE(DTR|RTS) to the control interface; ftdi sends reset, baud rate, 8N1, no flow
    /// control, DTR/RTS, latency timer and a receive purge.
    ///
    /// - Parameters:
    ///   - name: the configured device name or profile name, carried by every scan.
    /// - Throws: ``ScannerReaderError`` for the step that failed; the device is released again (kernel
    ///   drivers re-attached) before it is thrown.
    public static func open(
        context: USBContext, device: USBDeviceInfo, match: ProtocolMatch, name: String,
        options: ScannerReaderOptions = ScannerReaderOptions(),
        logger: Logger = Logger(label: "station-agent.scanner")
    ) async throws(ScannerReaderError) -> ScannerReader {
        try await open(
            context: context, device: device, match: match, name: name, options: options,
            hooks: ScannerReaderHooks(), logger: logger)
    }

    /// ``open(context:device:match:name:options:logger:)`` with test seams.
    package static func open(
        context: USBContext, device: USBDeviceInfo, match: ProtocolMatch, name: String,
        options: ScannerReaderOptions = ScannerReaderOptions(), hooks: ScannerReaderHooks,
        logger: Logger = Logger(label: "station-agent.scanner")
    ) async throws(ScannerReaderError) -> ScannerReader {
        let identity = ScannerIdentity(name: name, device: device)
        var logger = logger
        logger[metadataKey: "device"] = "\(name)"
        logger[metadataKey: "port"] = "\(device.port)"
        logger[metadataKey: "protocol"] = "\(match.scannerProtocol.rawValue)"
        let handle: USBDeviceHandle
        do {
            handle = try context.open(device.id)
        } catch {
            throw ScannerReaderError(
                step: .open, device: identity.description, operation: "open \(device.deviceNode)", usbError: error)
        }
        do throws(ScannerReaderError) {
            var setup = ProtocolSetup(handle: handle, identity: identity, match: match, options: options, logger: logger)
            try setup.claim()
            try await setup.configure(device: device)
            let effective = setup.match
            let decoder = ScanDecoder(
                effective.scannerProtocol, layout: effective.hidPOSLayout ?? .honeywell,
                maxPacketSize: effective.inEndpoint.maxPacketSize, options: options)
            let reader = ScannerReader(
                identity: identity, match: effective, handle: handle, decoder: decoder,
                readLength: Self.readLength(for: effective), options: options, hooks: hooks, logger: logger)
            logger.info("reading scanner \(identity) as \(effective.scannerProtocol.rawValue)")
            return reader
        } catch {
            await handle.close()
            throw error
        }
    }

    /// Bytes per IN transfer: a whole report for HID (a shorter buffer would overflow), several packets
    /// for serial so a burst of codes arrives in few transfers.
    static func readLength(for match: ProtocolMatch) -> Int {
        let packet = max(match.inEndpoint.maxPacketSize, 8)
        switch match.scannerProtocol {
        case .hidKeyboard: return packet
        case .hidPOS: return max(packet, match.hidPOSLayout?.input.length ?? 64)
        case .cdcACM, .ftdi: return max(512, packet * 4)
        }
    }

    /// Why the reader ended; waits until it has (the device is released by then).
    public var outcome: ReaderOutcome {
        get async { await reading.value }
    }

    /// Totals of the decoder: codes, ignored reports, errors by kind (for the heartbeat log and `doctor`).
    public var counters: DecoderCounters { core.counters }

    /// Scans dropped because the consumer was ``ScannerReaderOptions/scanBufferCapacity`` scans behind.
    public var droppedScans: Int { core.droppedScans }

    /// Stops reading and releases the device, re-attaching its kernel drivers. A code still being typed is
    /// dropped (and logged). Idempotent; returns once the device is released and ``scans`` has finished.
    public func close() async {
        core.markStopping()
        await handle.close()
        _ = await reading.value
    }

    /// Sends a verdict back to the device (SPEC §6).
    ///
    /// HID POS: the good-read or error beep output report, on the interrupt OUT endpoint when there is one,
    /// else with HID SET_REPORT(Output). Serial (cdc-acm, ftdi): `serialBytes` on the bulk OUT endpoint.
    /// Keyboard wedges have no channel back.
    ///
    /// - Parameter serialBytes: the configured bytes for this verdict (serial devices only).
    /// - Returns: what was sent, or why nothing was.
    /// - Throws: ``ScannerReaderError`` with step `.feedback` when the transfer failed (the device may
    ///   have been unplugged: ``ScannerReaderError/isDeviceGone``).
    @discardableResult
    public func giveFeedback(
        _ signal: FeedbackSignal, serialBytes: [UInt8]? = nil
    ) async throws(ScannerReaderError) -> FeedbackDelivery {
        let delivery: FeedbackDelivery
        do {
            switch match.scannerProtocol {
            case .hidKeyboard:
                delivery = .nothing(reason: "a keyboard wedge has no channel back")
            case .hidPOS:
                let layout = match.hidPOSLayout ?? .honeywell
                guard let report = layout.beepReport(signal == .good ? .goodRead : .error) else {
                    delivery = .nothing(reason: "the report descriptor declares no \(signal == .good ? "good-read" : "error") beep")
                    break
                }
                if let out = match.outEndpoint, !out.isInput, out.transferType == .interrupt {
                    _ = try await handle.write(endpoint: out.address, type: .interrupt, data: report)
                    delivery = .outputReport(report, endpoint: out.address)
                } else {
                    // SET_REPORT: class request to the interface, wValue = report type 2 (Output) << 8 | ID.
                    _ = try await handle.control(
                        requestType: 0x21, request: 0x09, value: 0x0200 | UInt16(layout.output?.reportID ?? 0),
                        index: UInt16(match.interfaceNumber), data: report)
                    delivery = .setReport(report)
                }
            case .cdcACM, .ftdi:
                guard let serialBytes, !serialBytes.isEmpty else {
                    delivery = .nothing(reason: "no feedback bytes are configured for this verdict")
                    break
                }
                guard let out = match.outEndpoint, !out.isInput, out.transferType == .bulk else {
                    delivery = .nothing(reason: "the device has no bulk OUT endpoint")
                    break
                }
                _ = try await handle.write(endpoint: out.address, type: .bulk, data: serialBytes)
                delivery = .serialBytes(serialBytes, endpoint: out.address)
            }
        } catch {
            throw ScannerReaderError(
                step: .feedback, device: identity.description, operation: "send the \(signal.rawValue) verdict",
                usbError: error)
        }
        logger.debug("feedback \(signal.rawValue): \(delivery)")
        return delivery
    }
}

/// The reader's mutable side, shared by the reading task and the timer task: one lock around the decoder,
/// so a timer flush and a transfer are decoded one after the other and scans come out in order.
final class ReaderCore: Sendable {
    private struct State {
        var decoder: ScanDecoder
        /// Monotonic time at which a flush may complete something, or nil when nothing waits for silence.
        var deadline: UInt64?
        var stopping = false
        /// Decoder errors logged in the current one-second window, to keep a babbling device from
        /// flooding the log (they are all counted anyway).
        var loggedErrors = 0
        var suppressedErrors = 0
        /// Lines not logged in the current window, said in one line when the next window opens.
        var suppressedInWindow = 0
        var errorWindowStart: UInt64 = 0
        /// Inputs decoded so far; compared with the transport's tally.
        var consumed = 0
        var droppedScans = 0
    }

    /// A log line the throttle lets through.
    private enum Line {
        case decodeError(DecodeError)
        case dropped(Scan)
        case suppressed(Int)
    }

    private let state: Mutex<State>
    private let identity: ScannerIdentity
    private let scannerProtocol: ScannerProtocol
    private let scans: AsyncStream<Scan>.Continuation
    private let capacity: Int
    private let wake: AsyncStream<Void>.Continuation
    private let tally: USBInputTally
    private let logger: Logger
    /// Lines about decode errors and dropped scans logged per second and device before the rest are only
    /// counted (and said as one line when the next second opens).
    static let errorLinesPerSecond = 10

    init(
        identity: ScannerIdentity, scannerProtocol: ScannerProtocol, decoder: ScanDecoder,
        scans: AsyncStream<Scan>.Continuation, capacity: Int, wake: AsyncStream<Void>.Continuation,
        tally: USBInputTally, logger: Logger
    ) {
        self.state = Mutex(State(decoder: decoder))
        self.identity = identity
        self.scannerProtocol = scannerProtocol
        self.scans = scans
        self.capacity = capacity
        self.wake = wake
        self.tally = tally
        self.logger = logger
    }

    var counters: DecoderCounters { state.withLock { $0.decoder.counters } }
    var droppedScans: Int { state.withLock { $0.droppedScans } }

    /// Decodes one transfer and arms the silence timer if a code is left open.
    func feed(_ input: USBInput) {
        let (lines, armed) = state.withLock { state -> ([Line], Bool) in
            state.consumed += 1
            let output = state.decoder.feed(input.bytes, at: input.completedAt)
            let dropped = emit(output, &state)
            state.deadline = state.decoder.flushDelay.map { input.completedAt &+ $0 }
            return (throttle(output.errors, dropped, now: input.completedAt, &state), state.deadline != nil)
        }
        if armed { wake.yield() }
        log(lines)
    }

    /// Sleeps until the deadline the last transfer set, then flushes; waits for a wake-up while no
    /// deadline is set. Never polls.
    func runTimer(_ wakeups: AsyncStream<Void>) async {
        for await _ in wakeups {
            while !Task.isCancelled, let deadline = state.withLock({ $0.deadline }) {
                let now = MonotonicClock.now()
                if now < deadline {
                    // Re-checked after waking: a transfer in the meantime moves the deadline later.
                    try? await Task.sleep(for: .nanoseconds(Int64(clamping: deadline - now)))
                    continue
                }
                let lines = state.withLock { state -> [Line] in
                    // A transfer decoded while this task slept may have moved the deadline on.
                    guard let current = state.deadline, current <= now else { return [] }
                    state.deadline = nil
                    // Input libusb has handed over but the reading task has not decoded yet (it is
                    // behind: a busy box) is not silence: decoding it re-arms the deadline.
                    guard tally.delivered == state.consumed else { return [] }
                    let output = state.decoder.flush(now: now)
                    let dropped = emit(output, &state)
                    return throttle(output.errors, dropped, now: now, &state)
                }
                log(lines)
            }
            if Task.isCancelled { return }
        }
    }

    /// Hands the codes to the consumer; returns those the full buffer refused (counted).
    private func emit(_ output: DecoderOutput, _ state: inout State) -> [Scan] {
        var dropped: [Scan] = []
        for code in output.codes {
            let scan = Scan(device: identity, scannerProtocol: scannerProtocol, code: code)
            if case .dropped = scans.yield(scan) {
                state.droppedScans += 1
                dropped.append(scan)
            }
        }
        return dropped
    }

    /// At most ``errorLinesPerSecond`` lines per second; the rest are counted, and said as one line when
    /// the next second opens.
    private func throttle(_ errors: [DecodeError], _ dropped: [Scan], now: UInt64, _ state: inout State) -> [Line] {
        guard !errors.isEmpty || !dropped.isEmpty else { return [] }
        var lines: [Line] = []
        if now &- state.errorWindowStart >= 1_000_000_000 {
            if state.suppressedInWindow > 0 { lines.append(.suppressed(state.suppressedInWindow)) }
            state.errorWindowStart = now
            state.loggedErrors = 0
            state.suppressedInWindow = 0
        }
        let all = errors.map(Line.decodeError) + dropped.map(Line.dropped)
        let room = max(0, Self.errorLinesPerSecond - state.loggedErrors)
        let logged = min(room, all.count)
        state.loggedErrors += logged
        state.suppressedErrors += all.count - logged
        state.suppressedInWindow += all.count - logged
        return lines + all.prefix(logged)
    }

    private func log(_ lines: [Line]) {
        for line in lines {
            switch line {
            case .decodeError(let error):
                logger.warning("cannot decode input from \(identity): \(error)")
            case .dropped(let scan):
                logger.error(
                    "scan NOT recorded, dropped: \(identity) is \(capacity) scans ahead of the agent (the journal is not keeping up); scan \(scan.text.debugDescription) again later")
            case .suppressed(let count):
                logger.warning(
                    "\(identity): \(count) more lines about decode errors or dropped scans not logged in the last second (all counted)")
            }
        }
    }

    func markStopping() {
        state.withLock { $0.stopping = true }
    }

    /// What the end of the input stream means.
    func outcome(after failure: (any Error)?, device: String) -> ReaderOutcome {
        let stopping = state.withLock { $0.stopping }
        guard let failure else { return .stopped }
        if let usbError = failure as? USBError {
            if usbError.code == USBError.noDevice.code { return .unplugged }
            if stopping || usbError.code == USBError.cancelled.code { return .stopped }
            return .failed(ScannerReaderError(step: .read, device: device, operation: "read input", usbError: usbError))
        }
        return .failed(ScannerReaderError(step: .read, device: device, operation: "read input (\(failure))", usbError: nil))
    }

    /// Ends ``ScannerReader/scans`` and logs how the reader ended. A code in progress is dropped: cut off
    /// by an unplug or a stop, it could still look like a valid (shorter) tracking number.
    func finish(_ outcome: ReaderOutcome) {
        let (pending, counters, suppressed, dropped) = state.withLock { state in
            (state.decoder.hasPendingCode, state.decoder.counters, state.suppressedErrors, state.droppedScans)
        }
        wake.finish()
        scans.finish()
        if pending { logger.warning("\(identity): a code being read when the reader ended was dropped") }
        let totals = "\(counters.codes) codes, \(counters.errors) decode errors, \(dropped) scans dropped (\(suppressed) lines not logged)"
        switch outcome {
        case .stopped: logger.info("stopped reading \(identity): \(totals)")
        case .unplugged: logger.notice("\(identity) was unplugged: \(totals); waiting for it to come back")
        // The device manager says it once, with what it does next; here only the totals.
        case .failed(let error): logger.info("reading stopped: \(error); \(totals)")
        }
    }
}

/// Seams for tests: what runs between the transport handing over an input and the decoder getting it.
package struct ScannerReaderHooks: Sendable {
    /// Awaited before each input is decoded (a test delays the reader with it, as a busy box would).
    package var beforeDecoding: (@Sendable (USBInput) async -> Void)?

    package init(beforeDecoding: (@Sendable (USBInput) async -> Void)? = nil) {
        self.beforeDecoding = beforeDecoding
    }
}
