public import Logging
import ParcelRules
import StationConfig
public import ScanJournal
public import ScannerReaders
public import StationTime
import VoiceFeedback

/// The path every scan takes: the journal first, feedback only after the commit (SPEC §1, §6).
///
/// USB scans and manual entries use the same journal writer and rules; a device's scans are handed
/// over in the order they were read (each device's task awaits one before the next), and scans of
/// different devices meet in the journal's group commits.
public struct ScanPipeline: Sendable {
    public let gate: JournalGate
    public let clock: any StationClock
    /// The spoken verdicts (SPEC §6), when `[voice]` is on; nil in tests that need no voice.
    public let voice: SpokenVerdicts?
    let logger: Logger

    public init(gate: JournalGate, clock: any StationClock = SystemClock(), voice: SpokenVerdicts? = nil, logger: Logger) {
        self.gate = gate
        self.clock = clock
        self.voice = voice
        self.logger = logger
    }

    /// How long a scan may wait for a journal that cannot commit before the box says "storage fault".
    static let storageFaultAfter: Duration = .seconds(1)

    /// Journals a scan read from a device, then gives the device its verdict.
    @discardableResult
    public func handle(_ scan: Scan, assignment: DeviceAssignment, reader: ScannerReader?) async -> AcceptedScan? {
        let now = clock.now()
        // The scan happened when the USB transfer that completed it did, not when it got here.
        let age = now.monotonicNanos > scan.completedAt ? now.monotonicNanos - scan.completedAt : 0
        let reading = ClockReading(
            wallNanos: now.wallNanos - Int64(clamping: age), monotonicNanos: min(scan.completedAt, now.monotonicNanos),
            bootID: now.bootID, isSynchronized: now.isSynchronized)
        let input = JournalScan(
            raw: scan.raw, reportedSymbology: scan.symbology, device: assignment.name, role: assignment.role,
            source: .usb,
            usb: USBIdentity(
                vendorID: scan.device.vendorID, productID: scan.device.productID, serial: scan.device.serial,
                port: scan.device.port),
            at: reading)
        // A scan the disk holds back (a full disk: held in memory, the commit retried) is not accepted yet: rather
        // than silence, the operator hears the storage fault after a second, and the verdict once it commits.
        let held: Task<Void, Never>? = voice.flatMap { $0.isOn ? $0 : nil }.map { voice in
            Task { [gate] () async -> Void in
                try? await Task.sleep(for: Self.storageFaultAfter)
                guard !Task.isCancelled, let statistics = gate.current?.statistics, statistics.pending > 0,
                    statistics.lastFailure != nil
                else { return }
                voice.speak(.storageFault, answeredAt: monotonicNanos())
            }
        }
        let accepted: AcceptedScan
        do {
            accepted = try await gate.journal().submit(input)
            held?.cancel()
        } catch {
            held?.cancel()
            logger.error(
                "scan NOT accepted, the operator must scan it again later: \(error)",
                metadata: ["device": "\(assignment.name)", "code": "\(scan.text)"])
            let answeredAt = monotonicNanos()
            if assignment.role != .inbound, let reader {
                // Never a good-read for an uncommitted scan; the error beep tells the operator.
                await give(.bad, bytes: assignment.feedback.bytes(for: .rejected), to: reader, assignment: assignment)
            }
            voice?.speak(.storageFault, answeredAt: answeredAt)
            return nil
        }
        let answeredAt = monotonicNanos()
        let decision = accepted.decision
        var metadata: Logger.Metadata = ["seq": "\(accepted.seq)", "device": "\(assignment.name)"]
        if let carrier = decision.carrier { metadata["carrier"] = "\(carrier.rawValue)" }
        if let reason = decision.reason { metadata["reason"] = "\(reason.rawValue)" }
        // What an undo cancelled, as `scan` prints it (`undid=seq(code)`); the log handler escapes the code.
        if let undo = decision.undo { metadata["undoes"] = "\(undo.seq)(\(undo.code))" }
        logger.info("\(decision.outcome.rawValue) \(decision.normalized.code)", metadata: metadata)
        if let verdict = decision.verdict {
            logger.info("verdict \(verdict.rawValue) for \(decision.normalized.code)", metadata: ["device": "\(assignment.name)"])
            if let reader {
                await give(verdict == .ok ? .good : .bad, bytes: assignment.feedback.bytes(for: verdict), to: reader, assignment: assignment)
            }
        }
        // Every accepted scan of every device, keyboard wedges included: they have no other way back to the operator.
        voice?.speak(Prompt.verdict(of: decision, role: assignment.role), answeredAt: answeredAt)
        return accepted
    }

    private func give(_ signal: FeedbackSignal, bytes: [UInt8]?, to reader: ScannerReader, assignment: DeviceAssignment) async {
        do {
            try await reader.giveFeedback(signal, serialBytes: bytes)
        } catch {
            logger.warning("cannot give feedback: \(error)", metadata: ["device": "\(assignment.name)"])
        }
    }
}
