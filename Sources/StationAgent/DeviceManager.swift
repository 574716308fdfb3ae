public import Logging
public import StationConfig
public import USBTransport
import ParcelRules
import LabelDecoding
import ScannerProtocols
import ScannerReaders
import StationTime
import Synchronization
import UVCCamera

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
    /// The business day a release photo is filed under (SPEC §4), as the count files cut days: the configuration's
    /// zone, followed on reload by cameras already streaming.
    private let photoZone: Mutex<StationTimeZone>
    /// How long a streaming camera may send no frame before its stream is started again (``CameraReader``).
    private let cameraStallLimit: Duration
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

    public init(
        context: USBContext, configuration: StationConfiguration, pipeline: ScanPipeline, logger: Logger,
        cameraStallLimit: Duration = .seconds(10)
    ) {
        self.context = context
        self.cameraStallLimit = cameraStallLimit
        self.configuration = configuration
        self.photoZone = Mutex(Self.zone(of: configuration))
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
        photoZone.withLock { $0 = Self.zone(of: newConfiguration) }
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
                "\(assignment.camera == nil ? "scanner" : "camera") '\(assignment.name)' (\(info.vidPid), \(assignment.protocolName), \(assignment.role.rawValue)) plugged in at port \(info.port)")
            let task: Task<Void, Never>
            if let frame = assignment.camera {
                task = Task { await self.runCamera(info, assignment, frame: frame) }
            } else {
                task = Task { await self.runDevice(info, assignment) }
            }
            sessions[info.id] = Session(assignment: assignment, task: task)
        }
    }

    private static func zone(of configuration: StationConfiguration) -> StationTimeZone {
        (try? configuration.stationZone().zone) ?? .utc
    }

    private func left(_ id: USBDeviceID) {
        let info = present.removeValue(forKey: id)
        ignored.remove(id)
        guard let session = sessions.removeValue(forKey: id) else { return }
        logger.info("\(session.assignment.camera == nil ? "scanner" : "camera") '\(session.assignment.name)' unplugged from port \(info?.port ?? "?")")
        // The reader sees the unplug itself (its transfers end with no-device); cancelling also
        // stops a retry loop that is waiting between attempts.
        session.task.cancel()
    }

    private func setReader(_ reader: ScannerReader?, for id: USBDeviceID) {
        readers[id] = reader
    }

    /// udev applies the group and mode first: opening earlier can fail for a moment. Nil when the device went.
    private nonisolated func afterUdev(_ arrival: USBDeviceInfo) async -> USBDeviceInfo? {
        var info = arrival
        for _ in 0..<10 where !info.udevInitialized {
            if Task.isCancelled { return nil }
            try? await Task.sleep(for: .milliseconds(100))
            guard let fresh = context.device(arrival.id) else { return nil }
            info = fresh
        }
        return info
    }

    /// One device's life: wait for udev, open with backoff, read until it ends.
    private nonisolated func runDevice(_ arrival: USBDeviceInfo, _ assignment: DeviceAssignment) async {
        var attempt = 0
        var lastProblem = ""
        guard var info = await afterUdev(arrival), let match = assignment.match else { return }
        while !Task.isCancelled {
            do throws(ScannerReaderError) {
                let reader = try await ScannerReader.open(
                    context: context, device: info, match: match, name: assignment.name, logger: logger)
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

    /// One camera's life (SPEC §4), as ``runDevice(_:_:)`` for a scanner: wait for udev, open with backoff, stream
    /// until it is unplugged; every accepted code is journalled with its photo, in the order the camera read them.
    private nonisolated func runCamera(
        _ arrival: USBDeviceInfo, _ assignment: DeviceAssignment, frame: DeviceConfiguration.CameraFrame
    ) async {
        var attempt = 0
        var lastProblem = ""
        guard var info = await afterUdev(arrival) else { return }
        let pipeline = self.pipeline
        let logger = self.logger
        while !Task.isCancelled {
            do throws(UVCError) {
                let reader = try CameraReader(
                    context: context, device: info, frame: frame, name: assignment.name, logger: logger,
                    stallLimit: cameraStallLimit)
                attempt = 0
                // The journal (and the photo's write) never holds up the camera: codes wait in the reader's buffer.
                let consumer = Task {
                    let encoder = PhotoEncoder()
                    for await code in reader.codes {
                        var photo: [UInt8]?
                        do {
                            photo = try encoder.photo(of: code.frame)
                        } catch {
                            logger.warning(
                                "no release photo for \(code.label.text.debugDescription): \(error); the scan is recorded without it",
                                metadata: ["device": "\(assignment.name)"])
                        }
                        let zone = self.photoZone.withLock { $0 }
                        await pipeline.handle(code, photo: photo, zone: zone, device: reader.identity, assignment: assignment)
                    }
                }
                let end = await withTaskCancellationHandler {
                    await reader.run()
                } onCancel: {
                    // Not here: a cancellation handler runs under the task's status lock, and closing waits for
                    // libuvc's transfers and frame thread.
                    Task.detached { reader.close() }
                }
                await consumer.value
                switch end {
                case .stopped:
                    return
                case .failed(let error):
                    if error == .unplugged || error == .noDevice { return }
                    let problem = error.description
                    if problem != lastProblem {
                        logger.warning("camera '\(assignment.name)' stopped streaming: \(problem); trying again")
                        lastProblem = problem
                    }
                }
            } catch {
                if error == .noDevice || error == .unplugged { return }
                let problem = error.description
                if problem != lastProblem {
                    logger.warning("cannot use camera '\(assignment.name)' at port \(info.port) yet: \(problem)")
                    lastProblem = problem
                } else {
                    logger.debug("camera '\(assignment.name)' still cannot be used (attempt \(attempt + 1)): the same problem")
                }
            }
            let delay = Self.retryDelays[min(attempt, Self.retryDelays.count - 1)]
            attempt += 1
            try? await Task.sleep(for: delay)
            if let fresh = context.device(arrival.id) { info = fresh } else { return }
        }
    }
}
