public import ParcelRules
public import ScannerProtocols
public import StationConfig
public import USBTransport
import ScannerReaders

/// Which scanner a USB device is to the agent, and how to read it.
public struct DeviceAssignment: Sendable, Equatable {
    /// The name in logs, events and counts: the configured name, or for a device adopted by a
    /// built-in profile `<profile>@<port>` (so two identical scanners stay apart, and a scanner
    /// keeps its name and mode when it is re-plugged into the same port).
    public let name: String
    /// The built-in profile that adopted the device (`honeywell`), or nil for a `[[devices]]` entry: `devices`'
    /// `profile` field. (Its `matched` field is ``name`` itself, so a technician ties a row to the events.)
    public let profile: String?
    public let role: DeviceRole
    /// How a scanner is read; nil for a camera.
    public let match: ProtocolMatch?
    /// What a camera (`protocol = "uvc"`) streams; nil for a scanner.
    public let camera: DeviceConfiguration.CameraFrame?
    public let feedback: DeviceConfiguration.Feedback
    /// True when a `[[devices]]` entry names the device.
    public let configured: Bool

    init(
        name: String, profile: String?, role: DeviceRole, match: ProtocolMatch?, camera: DeviceConfiguration.CameraFrame? = nil,
        feedback: DeviceConfiguration.Feedback, configured: Bool
    ) {
        self.name = name
        self.profile = profile
        self.role = role
        self.match = match
        self.camera = camera
        self.feedback = feedback
        self.configured = configured
    }

    /// The protocol's name as configuration and `devices` write it: `hid-keyboard` ... `ftdi`, or `uvc`.
    public var protocolName: String { camera != nil ? "uvc" : match?.scannerProtocol.rawValue ?? "auto" }
}

/// Why a device is left alone.
public enum NotAdopted: Error, Sendable, Equatable, CustomStringConvertible {
    case hub
    /// The configuration has `[[devices]]` and none of them matches.
    case notConfigured
    /// No configuration entries, and the vendor is no known scanner maker (an ordinary keyboard).
    case unknownVendor
    /// It matches an entry (or a profile) but has no interface for the protocol.
    case noScannerInterface(name: String, scannerProtocol: ScannerProtocol?)
    /// It matches a `protocol = "uvc"` entry but has no video interface.
    case notACamera(name: String)

    public var description: String {
        switch self {
        case .hub: return "a hub"
        case .notConfigured: return "not one of the configured [[devices]]"
        case .unknownVendor: return "not a known scanner maker, and not configured: left alone (an ordinary keyboard keeps working)"
        case .noScannerInterface(let name, let scannerProtocol):
            return "matches '\(name)' but has no \(scannerProtocol?.rawValue ?? "scanner") interface"
        case .notACamera(let name):
            return "matches '\(name)' (protocol uvc) but has no video interface: it is not a camera"
        }
    }
}

/// Matches devices to `[[devices]]` entries or, without any, to the built-in profiles (SPEC §3).
public enum DeviceMatcher {
    public static func assignment(
        for info: USBDeviceInfo, configuration: StationConfiguration
    ) -> Result<DeviceAssignment, NotAdopted> {
        if info.isHub { return .failure(.hub) }
        if !configuration.devices.isEmpty {
            guard let entry = configuration.devices.first(where: { matches($0, info) }) else { return .failure(.notConfigured) }
            let isCamera = info.interfaces.contains {
                $0.interfaceClass == USBClassCode.video && $0.interfaceSubclass == USBClassCode.videoControlSubclass
            }
            func camera(_ frame: DeviceConfiguration.CameraFrame) -> Result<DeviceAssignment, NotAdopted> {
                .success(
                    DeviceAssignment(
                        name: entry.name, profile: nil, role: entry.role, match: nil, camera: frame, feedback: entry.feedback,
                        configured: true))
            }
            if let frame = entry.camera {
                // SPEC §4: a camera only when an entry names it; it must have a video control interface.
                return isCamera ? camera(frame) : .failure(.notACamera(name: entry.name))
            }
            guard let match = ProtocolSelection.match(for: info, configured: entry.scannerProtocol, policy: .configured) else {
                // `auto` decides from the descriptors: a camera the entry names streams the default frame.
                if entry.scannerProtocol == nil && isCamera { return camera(DeviceConfiguration.CameraFrame()) }
                return .failure(.noScannerInterface(name: entry.name, scannerProtocol: entry.scannerProtocol))
            }
            return .success(
                DeviceAssignment(
                    name: entry.name, profile: nil, role: entry.role, match: match, feedback: entry.feedback,
                    configured: true))
        }
        guard let profile = BuiltInProfiles.profile(vendorID: info.vendorID) else { return .failure(.unknownVendor) }
        guard let match = ProtocolSelection.match(for: info, configured: nil, policy: .unconfigured) else {
            return .failure(.noScannerInterface(name: profile.name, scannerProtocol: nil))
        }
        let role: DeviceRole =
            switch profile.role {
            case .inbound: .inbound
            case .outbound: .outbound
            case .switchable: .switchable
            }
        return .success(
            DeviceAssignment(
                name: "\(profile.name)@\(info.port)", profile: profile.name, role: role, match: match,
                feedback: DeviceConfiguration.Feedback(), configured: false))
    }

    /// All the fields an entry gives must match (SPEC §3).
    public static func matches(_ entry: DeviceConfiguration, _ info: USBDeviceInfo) -> Bool {
        if let vendor = entry.vendorID, vendor != info.vendorID { return false }
        if let product = entry.productID, product != info.productID { return false }
        if let serial = entry.serial, serial != info.serial { return false }
        if let port = entry.port, port != info.port { return false }
        return true
    }
}

/// What the agent makes of one USB device: the row `station-agent devices` prints (SPEC §2).
public struct DeviceReport: Sendable, Equatable {
    public let info: USBDeviceInfo
    public let assignment: DeviceAssignment?
    public let notAdopted: NotAdopted?
    public var access: USBAccess { info.access }
    /// The name the agent gives the device, exactly as events, counts and logs carry it (SPEC §2), or nil when
    /// the agent leaves the device alone.
    public var matched: String? { assignment?.name }
    /// The built-in profile's name for an adopted scanner, nil for a configured device or one left alone.
    public var profile: String? { assignment?.profile }
    public var scannerProtocol: ScannerProtocol? { assignment?.match?.scannerProtocol }
    /// The protocol's name (`uvc` for a camera), or nil when the agent leaves the device alone.
    public var protocolName: String? { assignment?.protocolName }
    public var role: DeviceRole? { assignment?.role }
    /// What a camera's descriptors offer (any device with a video streaming interface, adopted or not: what
    /// `frame` may ask for); empty for everything else.
    public var videoFormats: [VideoFormat] {
        info.interfaces.filter { $0.interfaceClass == VideoFormat.videoClass && $0.interfaceSubclass == VideoFormat.streamingSubclass }
            .flatMap { VideoFormat.parse($0.extraDescriptors) }
    }

    public init(info: USBDeviceInfo, configuration: StationConfiguration) {
        self.info = info
        switch DeviceMatcher.assignment(for: info, configuration: configuration) {
        case .success(let assignment):
            self.assignment = assignment
            self.notAdopted = nil
        case .failure(let reason):
            self.assignment = nil
            self.notAdopted = reason
        }
    }
}
