public import Logging
import ParcelRules
import StationConfig
public import ScanJournal
public import ScannerReaders
public import StationTime
import LabelDecoding
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
        await handle(
            raw: scan.raw, text: scan.text, symbology: scan.symbology, completedAt: scan.completedAt, device: scan.device,
            photo: nil, assignment: assignment, reader: reader)
    }

    /// Journals a code a camera read, with the frame it was read from as the release photo (SPEC §4): the journal
    /// writes and syncs the photo under the business day of the scan (in `zone`) before the event commits.
    @discardableResult
    func handle(
        _ code: CameraCode, photo: [UInt8]?, zone: StationTimeZone, device: ScannerIdentity, assignment: DeviceAssignment
    ) async -> AcceptedScan? {
        await handle(
            raw: Array(code.label.text.utf8), text: code.label.text, symbology: CameraReader.aimIdentifier(code.label.symbology),
            completedAt: code.frame.arrivalNanos, device: device, photo: photo.map { ($0, zone) }, assignment: assignment,
            reader: nil)
    }

    private func handle(
        raw: [UInt8], text: String, symbology: String?, completedAt: UInt64, device: ScannerIdentity,
        photo: (jpeg: [UInt8], zone: StationTimeZone)?, assignment: DeviceAssignment, reader: ScannerReader?
    ) async -> AcceptedScan? {
        let now = clock.now()
        // The scan happened when the USB transfer (or the frame) that completed it did, not when it got here.
        let age = now.monotonicNanos > completedAt ? now.monotonicNanos - completedAt : 0
        let reading = ClockReading(
            wallNanos: now.wallNanos - Int64(clamping: age), monotonicNanos: min(completedAt, now.monotonicNanos),
            bootID: now.bootID, isSynchronized: now.isSynchronized)
        var input = JournalScan(
            raw: raw, reportedSymbology: symbology, device: assignment.name, role: assignment.role,
            source: .usb,
            usb: USBIdentity(vendorID: device.vendorID, productID: device.productID, serial: device.serial, port: device.port),
            at: reading)
        if let photo {
            input.pendingPhoto = PendingPhoto(
                jpeg: photo.jpeg, day: photo.zone.businessDay(utcNanos: reading.wallNanos).description)
        }
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
                metadata: ["device": "\(assignment.name)", "code": "\(text)"])
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
        if photo != nil {
            metadata["photo"] = "\(accepted.photo?.path ?? "NOT kept")"
            // From the frame's arrival to the commit: what a camera adds to the desk's wait, for the technician.
            let committedAt = SystemClock.monotonicNanos()
            let tenths = (committedAt > completedAt ? committedAt - completedAt : 0) / 100_000
            metadata["frame_to_commit_ms"] = "\(tenths / 10).\(tenths % 10)"
        }
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
