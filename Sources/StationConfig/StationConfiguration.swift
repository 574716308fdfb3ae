public import HumanWords
public import ParcelRules
public import ScannerProtocols

/// The station's configuration (SPEC §3), with every default filled in.
///
/// `make run` and a fresh box work with no file at all: `StationConfiguration.defaults` names the
/// host as the station, uses the system time zone, and keeps data in `/var/lib/station-agent`
/// (or the folder `make run` passes with `STATION_AGENT_DATA_DIR`).
public struct StationConfiguration: Sendable, Equatable {
    /// 1-64 characters of `[A-Za-z0-9._-]`, starting with a letter or digit: it names the count
    /// files, so it must never escape the outbox directory.
    public var stationID: String
    public var stationName: String
    /// An IANA zone name, or nil for the system's zone.
    public var timezone: String?
    public var dataDirectory: String
    public var outboxDirectory: String
    public var duplicateWindowSeconds: Int
    public var staleAfterDays: Int
    public var countRefreshSeconds: Int
    /// `photo_retention_days` (SPEC §3): release photos of camera devices are kept this long.
    public var photoRetentionDays = 90
    public var devices: [DeviceConfiguration]
    /// `[upload]`: nil when nothing is uploaded.
    public var upload: UploadConfiguration?
    /// `[voice]`: nil when the box stays silent (no table, or `enabled = false`).
    public var voice: VoiceConfiguration?
    /// `language`: nil when not configured (then the locale decides, ``HumanLanguage/resolve(config:environment:)``).
    public var language: HumanLanguage?
    /// Where the configuration came from (a path), or nil for the built-in defaults.
    public var source: String?

    /// The journal's location: `<data_dir>/journal.sqlite3`.
    public var journalPath: String { dataDirectory + "/journal.sqlite3" }

    /// The rules' view of the configuration.
    public var ruleConfiguration: RuleConfiguration {
        // Validated when loaded, so this cannot fail.
        (try? RuleConfiguration(duplicateWindowSeconds: duplicateWindowSeconds)) ?? RuleConfiguration()
    }

    /// The configured device with `name`, if any.
    public func device(named name: String) -> DeviceConfiguration? {
        devices.first { $0.name == name }
    }

    public init(
        stationID: String, stationName: String = "", timezone: String? = nil,
        dataDirectory: String = StationConfiguration.defaultDataDirectory, outboxDirectory: String? = nil,
        duplicateWindowSeconds: Int = 5, staleAfterDays: Int = 3, countRefreshSeconds: Int = 300,
        devices: [DeviceConfiguration] = [], upload: UploadConfiguration? = nil, voice: VoiceConfiguration? = nil,
        language: HumanLanguage? = nil, source: String? = nil
    ) {
        self.stationID = stationID
        self.stationName = stationName
        self.timezone = timezone
        self.dataDirectory = dataDirectory
        self.outboxDirectory = outboxDirectory ?? dataDirectory + "/outbox"
        self.duplicateWindowSeconds = duplicateWindowSeconds
        self.staleAfterDays = staleAfterDays
        self.countRefreshSeconds = countRefreshSeconds
        self.devices = devices
        self.upload = upload
        self.voice = voice
        self.language = language
        self.source = source
    }

    public static let defaultDataDirectory = "/var/lib/station-agent"
    public static let defaultPath = "/etc/station-agent/station-agent.toml"
}

/// One `[[devices]]` entry.
public struct DeviceConfiguration: Sendable, Equatable {
    public var name: String
    public var vendorID: UInt16?
    public var productID: UInt16?
    public var serial: String?
    public var port: String?
    /// nil means `auto`.
    public var scannerProtocol: ScannerProtocol?
    public var role: DeviceRole
    public var feedback: Feedback
    /// `protocol = "uvc"`: a camera release device (SPEC §4), read frame by frame at ``CameraFrame``; nil for a scanner.
    public var camera: CameraFrame?

    /// `frame = "640x480@15"` (SPEC §3, uvc only): the size and frame rate to ask the camera for.
    public struct CameraFrame: Sendable, Equatable, CustomStringConvertible {
        public var width: Int
        public var height: Int
        /// nil: whatever rate the camera offers at that size.
        public var framesPerSecond: Int?

        public init(width: Int = 640, height: Int = 480, framesPerSecond: Int? = 15) {
            self.width = width
            self.height = height
            self.framesPerSecond = framesPerSecond
        }

        /// `WIDTHxHEIGHT` or `WIDTHxHEIGHT@FPS`, sizes 16-4096 and rates 1-120; nil for anything else.
        public init?(parsing text: String) {
            let parts = text.split(separator: "@", omittingEmptySubsequences: false)
            guard (1...2).contains(parts.count) else { return nil }
            let size = parts[0].lowercased().split(separator: "x", omittingEmptySubsequences: false)
            guard size.count == 2, size.allSatisfy({ !$0.isEmpty && $0.allSatisfy(\.isASCII) && $0.allSatisfy(\.isNumber) }),
                let width = Int(size[0]), let height = Int(size[1]), (16...4096).contains(width), (16...4096).contains(height)
            else { return nil }
            var rate: Int?
            if parts.count == 2 {
                guard !parts[1].isEmpty, parts[1].allSatisfy({ $0.isASCII && $0.isNumber }), let value = Int(parts[1]),
                    (1...120).contains(value)
                else { return nil }
                rate = value
            }
            self.init(width: width, height: height, framesPerSecond: rate)
        }

        public var description: String { "\(width)x\(height)" + (framesPerSecond.map { "@\($0)" } ?? "") }
    }

    /// Bytes written to a serial device per verdict (SPEC §6).
    public struct Feedback: Sendable, Equatable {
        public var ok: [UInt8]?
        public var notInStock: [UInt8]?
        public var alreadyReleased: [UInt8]?
        public var rejected: [UInt8]?
        public init(ok: [UInt8]? = nil, notInStock: [UInt8]? = nil, alreadyReleased: [UInt8]? = nil, rejected: [UInt8]? = nil) {
            self.ok = ok
            self.notInStock = notInStock
            self.alreadyReleased = alreadyReleased
            self.rejected = rejected
        }
        public func bytes(for verdict: Verdict) -> [UInt8]? {
            switch verdict {
            case .ok: return ok
            case .notInStock: return notInStock
            case .alreadyReleased: return alreadyReleased
            case .rejected: return rejected
            }
        }
    }

    public init(
        name: String, vendorID: UInt16? = nil, productID: UInt16? = nil, serial: String? = nil, port: String? = nil,
        scannerProtocol: ScannerProtocol? = nil, role: DeviceRole = .switchable, feedback: Feedback = Feedback(),
        camera: CameraFrame? = nil
    ) {
        self.camera = camera
        self.name = name
        self.vendorID = vendorID
        self.productID = productID
        self.serial = serial
        self.port = port
        self.scannerProtocol = scannerProtocol
        self.role = role
        self.feedback = feedback
    }
}
