public import HumanWords
public import StationConfig
import CountReports
import ParcelRules
import ScanJournal
import ScannerProtocols
import StationTime
import USBTransport
import UVCCamera
import Logging
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// One line of `station-agent doctor`: said in the reader's language when printed (its ``Words``), in English in
/// `--json` and in tests.
public struct DoctorCheck: Sendable, Equatable {
    public enum Status: String, Sendable, Codable { case pass, warn, fail }
    public let name: Words
    public let status: Status
    /// What was found, in plain words.
    public let message: Words
    /// What to do about it (empty on pass).
    public let fix: Words

    public init(_ name: Words, _ status: Status, _ message: Words, fix: Words = "") {
        self.name = name
        self.status = status
        self.message = message
        self.fix = fix
    }
}

/// The checks a technician needs before leaving a box (SPEC §2 `doctor`): configuration, time zone
/// and clock, directories and free space, journal integrity, udev rules, every configured device,
/// and the service user.
public enum Doctor {
    public struct Environment: Sendable {
        public var udevRuleDirectories = ["/etc/udev/rules.d", "/run/udev/rules.d", "/lib/udev/rules.d", "/usr/lib/udev/rules.d"]
        /// The user the service runs as (``Doctor/defaultServiceUser(unitPaths:)``).
        public var serviceUser = Doctor.defaultServiceUser()
        public init() {}
    }

    public static func run(
        configuration: StationConfiguration?, configurationError: Words?, environment: Environment = Environment()
    ) -> [DoctorCheck] {
        var checks: [DoctorCheck] = []
        guard let configuration else {
            checks.append(DoctorCheck("configuration", .fail, configurationError ?? Words("the configuration cannot be read"), fix: "correct the file as the message says, then run doctor again"))
            return checks
        }
        let source = configuration.source.map(Words.verbatim) ?? Words("built-in defaults (no file)")
        let adoption = configuration.devices.isEmpty ? Words("scanners of known makers adopted") : Words("\(configuration.devices.count) device(s) configured")
        checks.append(DoctorCheck("configuration", .pass, "\(source): station '\(configuration.stationID)', \(adoption)"))
        checks.append(timeZone(configuration))
        if let check = stationIdentity(configuration) { checks.append(check) }
        if let check = otherStations(configuration) { checks.append(check) }
        checks.append(clock())
        checks.append(directory(Words("data directory"), configuration.dataDirectory))
        checks.append(directory(Words("outbox directory"), configuration.outboxDirectory))
        checks.append(journal(configuration))
        checks += ownership(configuration, serviceUser: environment.serviceUser)
        checks += upload(configuration, serviceUser: environment.serviceUser)
        checks.append(voice(configuration))
        if configuration.voice != nil, let check = unitSound() { checks.append(check) }
        checks.append(udevRules(environment))
        checks += devices(configuration)
        checks.append(serviceUser(environment))
        return checks
    }

    /// Host names that generic images ship with: a station ID taken from one names no station in particular, and two
    /// boxes of one county would write count files under the same name.
    static let genericHostNames: Set<String> = [
        "localhost", "localhost.localdomain", "raspberrypi", "raspberry", "pi", "debian", "ubuntu", "orangepi",
        "bananapi", "rockpi", "rock", "radxa", "armbian", "dietpi", "odroid", "nanopi", "pine64", "rpi", "linux",
        "station", "box", "server", "host", "default", "none",
    ]

    /// A warning when the station ID is a generic image's host name (the default is the host name, SPEC §3).
    static func stationIdentity(_ configuration: StationConfiguration) -> DoctorCheck? {
        let id = configuration.stationID.lowercased()
        let base = id.split(separator: ".").first.map(String.init) ?? id
        guard genericHostNames.contains(id) || genericHostNames.contains(base) else { return nil }
        return DoctorCheck(
            "station id", .warn,
            "station '\(configuration.stationID)' is a generic host name (of the system image), not this station's own name: count files of many boxes would carry it",
            fix: "set station_id = \"<county>-<village>\" (e.g. \"yq-yuxian-xiaohu\") in the configuration")
    }

    /// A warning when the outbox holds count files of another station ID (a changed `station_id`): they would be
    /// uploaded, and `verify` reports them.
    static func otherStations(_ configuration: StationConfiguration) -> DoctorCheck? {
        guard let names = OutboxDirectory(path: configuration.outboxDirectory).list() else { return nil }
        var ids: Set<String> = []
        for name in names where OutboxDirectory.isCountFileName(name) {
            guard let underscore = name.lastIndex(of: "_") else { continue }
            let id = String(name[..<underscore])
            if id != configuration.stationID { ids.insert(id) }
        }
        guard !ids.isEmpty else { return nil }
        return DoctorCheck(
            "outbox stations", .warn,
            "the outbox holds count files of \(ids.sorted().map { "'\($0)'" }.joined(separator: ", ")), not only of this station '\(configuration.stationID)'",
            fix: "if station_id was changed, move the old station's files out of \(configuration.outboxDirectory) (station-agent verify lists them)")
    }

    static func timeZone(_ configuration: StationConfiguration) -> DoctorCheck {
        do {
            let chosen = try configuration.stationZone()
            if let reason = chosen.fallbackReason {
                return DoctorCheck(
                    "time zone", .warn, "\(reason): business days are counted in UTC",
                    fix: "set timezone = \"Asia/Shanghai\" in the configuration, or run: timedatectl set-timezone Asia/Shanghai")
            }
            let zone = chosen.zone
            let now = SystemClock.wallNanos()
            let offset = zone.offsetSeconds(atUTCSeconds: now / 1_000_000_000)
            let sign = offset < 0 ? "-" : "+"
            let hours = abs(offset) / 3600
            let minutes = abs(offset) % 3600 / 60
            let utc = "\(zone.identifier) (UTC\(sign)\(hours < 10 ? "0" : "")\(hours):\(minutes < 10 ? "0" : "")\(minutes))"
            return DoctorCheck(
                "time zone", .pass,
                configuration.timezone == nil ? "\(utc), the system's: business days follow it" : "\(utc): business days follow it")
        } catch {
            return DoctorCheck("time zone", .fail, "\(error)", fix: "install the tzdata package, or correct timezone in the configuration")
        }
    }

    static func clock() -> DoctorCheck {
        if SystemClock.isSynchronized() {
            return DoctorCheck("clock", .pass, "the system clock is synchronised")
        }
        return DoctorCheck(
            "clock", .warn,
            "the system clock is not synchronised (no network time yet, or no real-time clock): scans are recorded with this boot's monotonic time and their times corrected once it is",
            fix: "give the box network time (systemd-timesyncd or chrony), or set the clock: timedatectl set-time 'YYYY-MM-DD HH:MM:SS'")
    }

    static func directory(_ name: Words, _ path: String) -> DoctorCheck {
        var info = stat()
        if stat(path, &info) != 0 {
            // The agent creates missing directories: what matters is the nearest one that exists.
            var ancestor = path
            while access(ancestor, F_OK) != 0, let slash = ancestor.lastIndex(of: "/") {
                ancestor = slash == ancestor.startIndex ? "/" : String(ancestor[..<slash])
            }
            if access(ancestor, W_OK) == 0 {
                return DoctorCheck(name, .pass, "\(path) does not exist yet; the agent creates it")
            }
            return DoctorCheck(name, .fail, "\(path) does not exist and cannot be created by this user", fix: "create it: install -d -o station-agent -g station-agent -m 0750 \(path)")
        }
        guard info.st_mode & S_IFMT == S_IFDIR else {
            return DoctorCheck(name, .fail, "\(path) is not a directory", fix: "move the file away or set another directory in the configuration")
        }
        guard access(path, W_OK) == 0 else {
            return DoctorCheck(name, .fail, "\(path) is not writable by this user (uid \(getuid()))", fix: .command("chown -R station-agent:station-agent \(path)"))
        }
        var fs = statvfs()
        guard statvfs(path, &fs) == 0 else { return DoctorCheck(name, .warn, "cannot read the free space of \(path)") }
        if fs.f_flag & UInt(ST_RDONLY) != 0 {
            return DoctorCheck(name, .fail, "\(path) is on a read-only file system: no scan can be accepted", fix: "remount it read-write, or check the SD card (dmesg)")
        }
        let freeMB = UInt64(fs.f_bavail) * UInt64(fs.f_frsize) / 1_048_576
        if freeMB < 20 {
            return DoctorCheck(name, .fail, "\(path): only \(freeMB) MB free: the journal will stop accepting scans", fix: "free space on the SD card (old logs: journalctl --vacuum-size=50M)")
        }
        if freeMB < 200 {
            return DoctorCheck(name, .warn, "\(path): \(freeMB) MB free", fix: "free space soon: a busy depot journals about 1 MB a day")
        }
        return DoctorCheck(name, .pass, "\(path) is writable, \(freeMB) MB free")
    }

    static func journal(_ configuration: StationConfiguration) -> DoctorCheck {
        let path = configuration.journalPath
        guard access(path, F_OK) == 0 else {
            return DoctorCheck("journal", .pass, "\(path) does not exist yet; the agent creates it at its first start")
        }
        do {
            let reader = try JournalReader(path: path)
            let integrity = try reader.integrity()
            guard integrity.isOK else {
                return DoctorCheck(
                    "journal", .fail, "\(path) is damaged: \(integrity.messages.prefix(3).joined(separator: "; "))",
                    fix: "stop the agent, copy the journal aside for recovery, and call for support; do not delete it")
            }
            return DoctorCheck("journal", .pass, "\(path): intact, schema \(integrity.schemaVersion), \(integrity.eventCount) events")
        } catch {
            return DoctorCheck("journal", .fail, "\(error)", fix: "see the message; the journal is never overwritten by the agent")
        }
    }

    static func udevRules(_ environment: Environment) -> DoctorCheck {
        for directory in environment.udevRuleDirectories {
            let path = directory + "/" + UdevRules.fileName
            if access(path, R_OK) == 0 { return DoctorCheck("udev rules", .pass, "\(path) is installed") }
        }
        return DoctorCheck(
            "udev rules", .warn, "no \(UdevRules.fileName) in \(environment.udevRuleDirectories.joined(separator: ", ")): the service user cannot open scanners",
            fix: .command("station-agent udev-rules > /etc/udev/rules.d/\(UdevRules.fileName) && udevadm control --reload && udevadm trigger --subsystem-match=usb"))
    }

    static func devices(_ configuration: StationConfiguration) -> [DoctorCheck] {
        let context: USBContext
        do {
            context = try USBContext()
        } catch {
            return [DoctorCheck("USB", .fail, "\(error)", fix: .verbatim(error.advice))]
        }
        defer { context.shutdown() }
        let present = context.devices()
        var checks: [DoctorCheck] = []
        if !USBContext.hasUSBDeviceFileSystem {
            checks.append(DoctorCheck("USB", .warn, "no /dev/bus/usb: no USB device is visible on this machine", fix: "check the USB ports and cables; in a container, pass the host's /dev/bus/usb"))
        }
        let reports = present.map { DeviceReport(info: $0, configuration: configuration) }
        if configuration.devices.isEmpty {
            let adopted = reports.filter { $0.assignment != nil }
            if adopted.isEmpty {
                checks.append(DoctorCheck("scanners", .warn, "no scanner of a known maker is plugged in", fix: "plug a scanner in, or configure it in [[devices]] (station-agent devices lists what is there)"))
            }
            for report in adopted { checks.append(deviceCheck(report.assignment!.name, report)) }
            return checks
        }
        for entry in configuration.devices {
            let candidates = reports.filter { DeviceMatcher.matches(entry, $0.info) }
            guard let report = candidates.first(where: { $0.assignment?.name == entry.name }) ?? candidates.first else {
                checks.append(DoctorCheck("device \(entry.name)", .fail, "not plugged in (no USB device matches its vendor_id/product_id/serial/port)", fix: "plug it in, or compare the configuration with: station-agent devices"))
                continue
            }
            checks.append(deviceCheck(entry.name, report))
            if let frame = report.assignment?.camera, report.access == .ok || report.access == .driverBound {
                checks.append(cameraStreams(entry.name, report, frame: frame, context: context))
            }
        }
        return checks
    }

    /// A camera release device (SPEC §4) must give frames at its `frame`, not only open: a stream is started
    /// through libuvc, as the agent does, and the first frame waited for (at most 3 s).
    static func cameraStreams(
        _ name: String, _ report: DeviceReport, frame: DeviceConfiguration.CameraFrame, context: USBContext
    ) -> DoctorCheck {
        let camera: UVCCamera
        do {
            camera = try UVCCamera.open(report.info.id, in: context, logger: Logger(label: "station-agent.doctor"))
        } catch {
            return DoctorCheck("camera \(name)", .fail, "cannot open it as a camera: \(error)", fix: "check that it is a UVC camera (station-agent devices lists its formats); re-plug it")
        }
        defer { camera.close() }
        let frames = Mutex(0)
        let started = SystemClock.monotonicNanos()
        let stream: UVCStream
        do {
            stream = try camera.start(
                frame: UVCFrameRequest(width: frame.width, height: frame.height, framesPerSecond: frame.framesPerSecond)
            ) { _ in frames.withLock { $0 += 1 } }
        } catch {
            let offered = camera.modes.map(\.description).joined(separator: "; ")
            return DoctorCheck("camera \(name)", .fail, "cannot stream frame \(frame): \(error)", fix: "set frame in [[devices]] to one it offers: \(offered)")
        }
        let deadline = started + 3_000_000_000
        while frames.withLock({ $0 }) == 0 && SystemClock.monotonicNanos() < deadline { usleep(10_000) }
        let milliseconds = (SystemClock.monotonicNanos() - started) / 1_000_000
        camera.stop()
        guard frames.withLock({ $0 }) > 0 else {
            return DoctorCheck("camera \(name)", .fail, "streams \(stream.settings) but sent no frame within 3 s", fix: "re-plug the camera (a USB 2 port, not through a passive hub); check the cable")
        }
        return DoctorCheck("camera \(name)", .pass, "streams \(stream.settings): first frame after \(milliseconds) ms")
    }

    static func deviceCheck(_ name: String, _ report: DeviceReport) -> DoctorCheck {
        let where_ = "\(report.info.vidPid) at port \(report.info.port)"
        guard let assignment = report.assignment else {
            return DoctorCheck("device \(name)", .fail, "\(where_): \(report.notAdopted?.description ?? "not usable")", fix: "check protocol in the configuration against: station-agent devices")
        }
        let how = "\(where_), \(assignment.protocolName), \(assignment.role.rawValue)"
        switch report.access {
        case .ok:
            return DoctorCheck("device \(name)", .pass, "\(how): accessible")
        case .driverBound:
            let drivers = Set(report.info.interfaces.compactMap(\.kernelDriver)).sorted().joined(separator: ", ")
            return DoctorCheck("device \(name)", .pass, "\(how): accessible; the kernel driver (\(drivers)) is detached when the agent claims it")
        case .busy:
            return DoctorCheck("device \(name)", .fail, "\(how): another program holds it (a running agent shows this too)", fix: "if the agent is not running, find the other program: fuser -v \(report.info.deviceNode)")
        case .noPermission:
            return DoctorCheck("device \(name)", .fail, "\(how): this user (uid \(getuid())) may not open \(report.info.deviceNode)", fix: "install the udev rules (station-agent udev-rules), add the user to group station-agent, re-plug the device")
        }
    }

    static func serviceUser(_ environment: Environment) -> DoctorCheck {
        let user = environment.serviceUser
        guard let password = getpwnam(user) else {
            return DoctorCheck("service user", .warn, "there is no '\(user)' user: the systemd unit runs the agent as it", fix: "make install (or the .deb) creates it; by hand: useradd --system --user-group --shell /usr/sbin/nologin \(user)")
        }
        guard let group = getgrnam(user) else {
            return DoctorCheck("service user", .fail, "there is no '\(user)' group: the udev rules give scanners to it", fix: .command("groupadd --system \(user) && usermod -aG \(user) \(user)"))
        }
        let gid = group.pointee.gr_gid
        var inGroup = password.pointee.pw_gid == gid
        var member = group.pointee.gr_mem
        while let entry = member?.pointee {
            if String(cString: entry) == user { inGroup = true }
            member = member?.advanced(by: 1)
        }
        guard inGroup else {
            return DoctorCheck("service user", .fail, "user '\(user)' is not in group '\(user)': it cannot open the scanners", fix: "usermod -aG \(user) \(user), then systemctl restart station-agent")
        }
        return DoctorCheck("service user", .pass, "user '\(user)' exists and is in group '\(user)'")
    }
}
