public import HumanWords
public import Logging
import ScanJournal
public import ServiceLifecycle
public import StationConfig
import ParcelRules
import Synchronization
import StationTime
import USBTransport
import UnixSignals

/// The agent as `station-agent run` starts it: the journal, the device manager, configuration
/// reload on SIGHUP, and the systemd watchdog and status, as services of one group.
///
/// SIGTERM/SIGINT: readers stop (kernel drivers re-attached), the journal commits what it holds,
/// today's count files are refreshed, and `run` returns normally (exit 0).
public enum StationAgentRuntime {
    /// Things the agent does at the end of a clean stop, after the journal has committed
    /// (the count files' final refresh plugs in here).
    public typealias StopHook = @Sendable (StationConfiguration) async -> Void
    /// Called with each configuration SIGHUP loaded successfully (the count files' settings plug in here).
    public typealias ReloadHook = @Sendable (StationConfiguration) -> Void

    public static func run(
        configuration initial: StationConfiguration, configurationPath: String?, logger: Logger,
        environment: [String: String] = ProcessEnvironment.current,
        extraServices: @Sendable (StationConfiguration) -> [any Service] = { _ in [] },
        onReload: @escaping ReloadHook = { _ in },
        onStop: StopHook = { _ in },
        extraStatus: @escaping @Sendable () -> Words? = { nil }
    ) async throws {
        let notifier = SystemdNotifier(environment: environment)
        let rules = Mutex(ScanRules(configuration: initial.ruleConfiguration))
        let gate = JournalGate()
        let journalService = JournalService(
            gate: gate, notifier: notifier, logger: logger,
            opener: { () throws(AgentError) in
                do {
                    let journal = try ScanJournal(
                        dataDirectory: initial.dataDirectory, rules: rules.withLock { $0 }, logger: logger)
                    removeStrayPhotos(journal, dataDirectory: initial.dataDirectory, logger: logger)
                    return journal
                } catch {
                    throw AgentError(message: "cannot open the journal, no scan can be accepted: \(error)")
                }
            },
            published: { journal in journal.rules = rules.withLock { $0 } })
        // The language of the STATUS line: the configuration's (a reload may change it), else the locale's.
        let language = Mutex(HumanLanguage.resolve(config: initial, environment: environment))
        // [voice]: a thread of its own that speaks the verdicts; never on the scan path.
        let voice = SpokenVerdicts(initial.voice, logger: logger)
        defer { voice.stop() }
        let pipeline = ScanPipeline(gate: gate, voice: voice, logger: logger)
        let devices = DeviceService(configuration: initial, pipeline: pipeline, logger: logger)
        let reload = ReloadService(path: configurationPath, current: initial, devices: devices, logger: logger) { fresh in
            // The rules in force from the next scan. Set before reading the gate; JournalService applies them again
            // once the journal is published, so a reload while the journal is still opening is not lost.
            let freshRules = ScanRules(configuration: fresh.ruleConfiguration)
            rules.withLock { $0 = freshRules }
            gate.current?.rules = freshRules
            voice.configure(fresh.voice)
            language.withLock { $0 = HumanLanguage.resolve(config: fresh, environment: environment) }
            onReload(fresh)
        }
        let watchdog = WatchdogService(
            notifier: notifier, devices: devices, gate: gate, logger: logger,
            language: { language.withLock { $0 } },
            extraStatus: {
                switch (extraStatus(), voice.statusLine) {
                case let (upload?, voice?): Words("\(upload); \(voice)")
                case let (upload, voice): upload ?? voice
                }
            })
        // Shut down in reverse order: the watchdog, reload and devices (readers stop, their last
        // scans commit) go before the journal.
        let readers = extraServices(initial).map { AfterJournalOpen(gate: gate, service: $0) as any Service }
        let services: [any Service] = [journalService, devices, reload, watchdog] + readers
        let group = ServiceGroup(
            configuration: ServiceGroupConfiguration(
                services: services.map { ServiceGroupConfiguration.ServiceConfiguration(service: $0) },
                gracefulShutdownSignals: [.sigterm, .sigint],
                logger: logger))
        // Up at once: scanners are read while the journal is opened and checked (see JournalGate).
        notifier.ready(status: Words("started; opening the journal").text(language.withLock { $0 }))
        do {
            try await group.run()
        } catch {
            notifier.stopping(status: "stopping after an error: \(error)")
            await gate.current?.close()
            throw error
        }
        notifier.stopping(status: "stopping: committing the journal")
        await gate.current?.close()
        await onStop(reload.configuration)
    }
}

/// Starts a service that reads the journal (the count-file refresher) only once the journal is open
/// and migrated: a brand-new journal has no schema until then.
struct AfterJournalOpen: Service {
    let gate: JournalGate
    let service: any Service

    func run() async throws {
        while !gate.isSettled {
            if Task.isCancelled || Task.isShuttingDownGracefully { return }
            try? await Task.sleep(for: .milliseconds(100))
        }
        // A journal that failed to open stops the whole agent; nothing to read then.
        guard gate.current != nil else { return }
        try await service.run()
    }
}

/// Opens the journal at start (on its own thread) and holds it until shutdown. A journal that
/// cannot be opened stops the agent with the reason (exit status 1).
final class JournalService: Service, Sendable {
    let gate: JournalGate
    let notifier: SystemdNotifier
    let logger: Logger
    let opener: @Sendable () throws(AgentError) -> ScanJournal
    /// Runs once the journal is reachable through the gate, before the scans that waited for it go in.
    let published: @Sendable (ScanJournal) -> Void

    init(
        gate: JournalGate, notifier: SystemdNotifier, logger: Logger,
        opener: @escaping @Sendable () throws(AgentError) -> ScanJournal,
        published: @escaping @Sendable (ScanJournal) -> Void
    ) {
        self.gate = gate
        self.notifier = notifier
        self.logger = logger
        self.opener = opener
        self.published = published
    }

    func run() async throws {
        let started = ContinuousClock.now
        switch await gate.open(opener, published: published) {
        case .success:
            let elapsed = ContinuousClock.now - started
            if elapsed > .seconds(2) { logger.info("journal checked and open after \(elapsed)") }
            try? await gracefulShutdown()
        case .failure(let error):
            logger.critical("\(error.message)")
            throw error
        }
    }
}

/// A runtime failure with a message that says what to do (exit status 1).
public struct AgentError: Error, CustomStringConvertible {
    public let message: String
    public init(message: String) { self.message = message }
    public var description: String { message }
}

/// Owns the USB context and the device manager for the life of the agent.
final class DeviceService: Service, Sendable {
    let pipeline: ScanPipeline
    let logger: Logger
    let initial: StationConfiguration
    private let manager = Mutex<DeviceManager?>(nil)

    init(configuration: StationConfiguration, pipeline: ScanPipeline, logger: Logger) {
        self.initial = configuration
        self.pipeline = pipeline
        self.logger = logger
    }

    var current: DeviceManager? { manager.withLock { $0 } }

    /// How long a stop waits for scans the disk refuses before giving them up (TimeoutStopSec is 30 s).
    static let stopGrace: Duration = .seconds(10)

    func run() async throws {
        let context: USBContext
        do {
            context = try USBContext(logger: logger)
        } catch {
            logger.error("USB is not available, no scanner can be read: \(error)")
            try? await gracefulShutdown()
            return
        }
        defer { context.shutdown() }
        if !USBContext.hasUSBDeviceFileSystem {
            logger.warning("no /dev/bus/usb on this machine yet: waiting for a USB device to appear")
        }
        let events: AsyncStream<USBHotplugEvent>
        do {
            events = try context.hotplugEvents(includeExisting: true)
        } catch {
            logger.error("cannot watch USB hotplug, scanners plugged in later will not be seen: \(error)")
            try? await gracefulShutdown()
            return
        }
        let deviceManager = DeviceManager(context: context, configuration: initial, pipeline: pipeline, logger: logger)
        manager.withLock { $0 = deviceManager }
        // Ends at graceful shutdown: the manager then stops every reader before the journal closes.
        for await event in events.cancelOnGracefulShutdown() {
            await deviceManager.handle(event)
        }
        // A reader stops once its last scan is answered. While the disk refuses commits that answer never comes,
        // so after a grace period the journal is closed: it commits what it still can and refuses the rest, naming
        // the codes in the log, and the agent stops well within systemd's TimeoutStopSec.
        let closer = Task { [pipeline, logger] in
            try await Task.sleep(for: Self.stopGrace)
            guard let journal = pipeline.gate.current else { return }
            let pending = journal.statistics.pending
            guard pending > 0 else { return }
            logger.error("stopping: the journal still cannot commit \(pending) scans; closing it, they are NOT recorded")
            await journal.close()
        }
        await deviceManager.stopAll()
        closer.cancel()
        manager.withLock { $0 = nil }
    }
}

/// SIGHUP: reload the configuration; a bad file is reported and the running one kept.
final class ReloadService: Service, Sendable {
    let path: String?
    let devices: DeviceService
    let logger: Logger
    private let state: Mutex<StationConfiguration>
    /// Applies a reloaded configuration beyond the devices: the journal's rules and the count files' settings.
    let apply: @Sendable (StationConfiguration) -> Void

    init(
        path: String?, current: StationConfiguration, devices: DeviceService, logger: Logger,
        apply: @escaping @Sendable (StationConfiguration) -> Void
    ) {
        self.path = path
        self.devices = devices
        self.logger = logger
        self.state = Mutex(current)
        self.apply = apply
    }

    var configuration: StationConfiguration { state.withLock { $0 } }

    func run() async throws {
        for await _ in await UnixSignalsSequence(trapping: .sighup).cancelOnGracefulShutdown() {
            logger.info("SIGHUP: reloading the configuration")
            do {
                let fresh = try StationConfiguration.load(explicitPath: path)
                let old = configuration
                if fresh.dataDirectory != old.dataDirectory {
                    logger.warning(
                        "data_dir changed to \(fresh.dataDirectory): the journal stays in \(old.dataDirectory) until the next restart")
                }
                state.withLock { $0 = fresh }
                apply(fresh)
                await devices.current?.reload(fresh)
            } catch {
                logger.error("configuration NOT reloaded, the running one stays in force: \(error)")
            }
        }
    }
}

/// Pings systemd's watchdog from the agent's own loops and keeps STATUS= current; also tells the
/// journal when the system clock becomes synchronised, so earlier times of this boot get corrected.
final class WatchdogService: Service, Sendable {
    let notifier: SystemdNotifier
    let devices: DeviceService
    let gate: JournalGate
    let clock: any StationClock = SystemClock()
    let logger: Logger
    /// More of the STATUS line (the uploader's state), if any.
    let extraStatus: @Sendable () -> Words?
    /// The language of the STATUS line (the configuration's, SPEC §2).
    let language: @Sendable () -> HumanLanguage

    init(
        notifier: SystemdNotifier, devices: DeviceService, gate: JournalGate, logger: Logger,
        language: @escaping @Sendable () -> HumanLanguage = { .en }, extraStatus: @escaping @Sendable () -> Words? = { nil }
    ) {
        self.language = language
        self.notifier = notifier
        self.devices = devices
        self.gate = gate
        self.logger = logger
        self.extraStatus = extraStatus
    }

    func run() async throws {
        let interval = notifier.watchdogInterval ?? .seconds(10)
        var lastStatus = ""
        var wasSynchronized: Bool?
        while !Task.isCancelledOrShuttingDown {
            // The device manager is an actor: an answer here means its loop is alive.
            let scanners = await devices.current?.connectedScanners ?? []
            let status: Words
            let wait: Duration
            if let journal = gate.current {
                status = await journalStatus(journal, scanners: scanners, wasSynchronized: &wasSynchronized)
                wait = interval
            } else {
                status = Words("\(scanners.count) scanner(s) connected; opening the journal (checking its integrity), scans wait")
                wait = .seconds(1)
            }
            let fullStatus = (extraStatus().map { Words("\(status); \($0)") } ?? status).text(language())
            if fullStatus != lastStatus {
                notifier.status(fullStatus)
                lastStatus = fullStatus
            }
            notifier.watchdog()
            try? await cancelWhenGracefulShutdown { try await Task.sleep(for: wait) }
        }
    }

    /// Tells the journal when the clock has become synchronised, reports a journal that cannot commit, and returns
    /// the STATUS= line.
    private func journalStatus(_ journal: ScanJournal, scanners: [String], wasSynchronized: inout Bool?) async -> Words {
        let statistics = journal.statistics
        let reading = clock.now()
        if reading.isSynchronized != wasSynchronized {
            if reading.isSynchronized {
                do {
                    let corrected = try await journal.observeClock(reading)
                    if corrected > 0 { logger.info("system clock synchronised: corrected the time of \(corrected) earlier event(s)") }
                } catch {
                    logger.error("cannot correct event times: \(error)")
                }
            } else {
                logger.warning("the system clock is not synchronised: events are recorded with their boot's monotonic time and corrected once it is")
            }
            wasSynchronized = reading.isSynchronized
        }
        if statistics.pending > 0, let failure = statistics.lastFailure {
            logger.error("journal cannot commit (\(statistics.pending) scans held in memory): \(failure)")
        }
        let connected = scanners.isEmpty
            ? Words("\(scanners.count) scanner(s) connected")
            : Words("\(scanners.count) scanner(s) connected: \(scanners.joined(separator: ", "))")
        return statistics.pending > 0
            ? Words("\(connected); \(statistics.acceptedScans) scan(s) accepted since start; \(statistics.pending) NOT yet committed")
            : Words("\(connected); \(statistics.acceptedScans) scan(s) accepted since start")
    }
}

extension Task where Success == Never, Failure == Never {
    static var isCancelledOrShuttingDown: Bool { Task.isCancelled || Task.isShuttingDownGracefully }
}

/// Before any camera scan: removes the release photos no event names, which a power cut between a photo's write and
/// its event's commit leaves (SPEC §4), so none can be taken for the photo of another event of that number.
private func removeStrayPhotos(_ journal: ScanJournal, dataDirectory: String, logger: Logger) {
    let recorded: [(seq: Int64, photo: PhotoReference, effectiveNanos: Int64)]
    do {
        recorded = try journal.makeReader().photos()
    } catch {
        logger.warning("cannot list the release photos to tidy the photos folder: \(error); it is left as it is")
        return
    }
    let removed = PhotoStore(dataDirectory: dataDirectory).removeUnrecorded(recorded: Set(recorded.map(\.photo.path)))
    if removed > 0 {
        logger.notice("removed \(removed) release photo file(s) that no event names (a power cut before their commit)")
    }
}
