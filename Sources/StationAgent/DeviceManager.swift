public import Logging
public import StationConfig
public import USBTransport
import ParcelRules
import ScannerProtocols
import ScannerReaders

/// Keeps a reader running for every adopted device that is plugged in.
///
/// Devices come and go at any time: an arrival starts a task that waits for udev, opens the device
/// (retrying with backoff: right after arrival the kernel may still be binding its driver) and feeds
/// its scans to the pipeline; a departure stops that task and nothing else, so every other scanner
/// keeps reading. A configuration reload re-matches the present devices and restarts only those
/// whose assignment changed.
public actor DeviceManager {
    private let context: USBContext
    private let pipeline: ScanPipeline
    private let logger: Logger
    private var configuration: StationConfiguration
    private var present: [USBDeviceID: USBDeviceInfo] = [:]
    private var sessions: [USBDeviceID: Session] = [:]
    private var readers: [USBDeviceID: ScannerReader] = [:]
    private var ignored: Set<USBDeviceID> = []
    /// The backoff between attempts to open a device: fast at first, then every 30 s at most.
    static let retryDelays: [Duration] = [.milliseconds(250), .milliseconds(500), .seconds(1), .seconds(2), .seconds(5), .seconds(10), .seconds(30)]

    private struct Session {
        let assignment: DeviceAssignment
        let task: Task<Void, Never>
    }

    public init(context: USBContext, configuration: StationConfiguration, pipeline: ScanPipeline, logger: Logger) {
        self.context = context
        self.configuration = configuration
        self.pipeline = pipeline
        self.logger = logger
    }

    /// Names of the devices being read now.
    public var connectedScanners: [String] {
        readers.keys.compactMap { sessions[$0]?.assignment.name }.sorted()
    }

    /// Follows one hotplug event.
    public func handle(_ event: USBHotplugEvent) {
        switch event {
        case .arrived(let info): arrived(info)
        case .left(let id): left(id)
        }
    }

    /// Stops every reader (re-attaching kernel drivers) and waits until they have let go.
    public func stopAll() async {
        let running = sessions
        sessions = [:]
        for session in running.values { session.task.cancel() }
        for session in running.values { await session.task.value }
    }

    /// Applies a new configuration: devices whose assignment is unchanged keep reading.
    public func reload(_ newConfiguration: StationConfiguration) async {
        configuration = newConfiguration
        ignored = []
        var restarted = 0
        for (id, info) in present {
            let wanted = try? DeviceMatcher.assignment(for: info, configuration: configuration).get()
            let current = sessions[id]?.assignment
            if wanted == current { continue }
            if let session = sessions.removeValue(forKey: id) {
                session.task.cancel()
                await session.task.value
            }
            restarted += 1
            start(info)
        }
        logger.info("configuration reloaded: \(restarted) device(s) re-matched, \(sessions.count) adopted")
    }

    private func arrived(_ info: USBDeviceInfo) {
        present[info.id] = info
        guard sessions[info.id] == nil else { return }
        start(info)
    }

    private func start(_ info: USBDeviceInfo) {
        switch DeviceMatcher.assignment(for: info, configuration: configuration) {
        case .failure(let reason):
            if reason != .hub, ignored.insert(info.id).inserted {
                logger.info("device \(info.vidPid) at port \(info.port) (\(info.product ?? "unnamed")): \(reason)")
            }
        case .success(let assignment):
            logger.info(
                "scanner '\(assignment.name)' (\(info.vidPid), \(assignment.match.scannerProtocol.rawValue), \(assignment.role.rawValue)) plugged in at port \(info.port)")
            let task = Task { await self.runDevice(info, assignment) }
            sessions[info.id] = Session(assignment: assignment, task: task)
        }
    }

    private func left(_ id: USBDeviceID) {
        let info = present.removeValue(forKey: id)
        ignored.remove(id)
        guard let session = sessions.removeValue(forKey: id) else { return }
        logger.info("scanner '\(session.assignment.name)' unplugged from port \(info?.port ?? "?")")
        // The reader sees the unplug itself (its transfers end with no-device); cancelling also
        // stops a retry loop that is waiting between attempts.
        session.task.cancel()
    }

    private func setReader(_ reader: ScannerReader?, for id: USBDeviceID) {
        readers[id] = reader
    }

    /// One device's life: wait for udev, open with backoff, read until it ends.
    private nonisolated func runDevice(_ arrival: USBDeviceInfo, _ assignment: DeviceAssignment) async {
        var attempt = 0
        var lastProblem = ""
        var info = arrival
        // udev applies the group and mode first: opening earlier can fail for a moment.
        for _ in 0..<10 where !info.udevInitialized {
            if Task.isCancelled { return }
            try? await Task.sleep(for: .milliseconds(100))
            guard let fresh = context.device(arrival.id) else { return }
            info = fresh
        }
        while !Task.isCancelled {
            do throws(ScannerReaderError) {
                let reader = try await ScannerReader.open(
                    context: context, device: info, match: assignment.match, name: assignment.name, logger: logger)
                attempt = 0
                await setReader(reader, for: info.id)
                await withTaskCancellationHandler {
                    for await scan in reader.scans {
                        await pipeline.handle(scan, assignment: assignment, reader: reader)
                    }
                } onCancel: {
                    Task { await reader.close() }
                }
                await reader.close()
                await setReader(nil, for: info.id)
                switch await reader.outcome {
                case .stopped, .unplugged:
                    return
                case .failed(let error):
                    // One line per kind of problem, not per retry: what failed and what to do is in `error`.
                    let problem = error.description
                    if problem != lastProblem {
                        logger.warning("scanner '\(assignment.name)' stopped reading: \(problem); trying again")
                        lastProblem = problem
                    }
                }
            } catch {
                if error.isDeviceGone { return }
                let problem = error.description
                // Say it once per kind of problem, then keep trying quietly.
                if problem != lastProblem {
                    logger.warning("cannot use scanner '\(assignment.name)' at port \(info.port) yet: \(problem)")
                    lastProblem = problem
                } else {
                    logger.debug("scanner '\(assignment.name)' still cannot be used (attempt \(attempt + 1)): the same problem")
                }
            }
            let delay = Self.retryDelays[min(attempt, Self.retryDelays.count - 1)]
            attempt += 1
            try? await Task.sleep(for: delay)
            if let fresh = context.device(arrival.id) { info = fresh } else { return }
        }
    }
}
