/// Which direction a device's scans count in (SPEC §3 `role`).
public enum ScannerRole: String, Sendable, Hashable, CaseIterable {
    case inbound
    case outbound
    /// Follows the mode cards `#STATION:IN` / `#STATION:OUT` (SPEC §5.3).
    case switchable
}

/// A built-in profile: a scanner maker whose devices are adopted without configuration (SPEC §3).
///
/// Matching is by vendor ID only. That is safe because adoption also needs a scanner interface that
/// detection accepts; it is not proof that a device is a scanner (cheap scanners reuse chip makers' IDs,
/// which is why no chip maker's ID is listed here).
public struct ScannerProfile: Sendable, Hashable {
    /// The name shown as `matched` in `devices` and used as the device name in events.
    public var name: String
    /// The maker, for humans.
    public var manufacturer: String
    /// USB vendor IDs of the maker (several after acquisitions).
    public var vendorIDs: [UInt16]
    public var role: ScannerRole

    public init(name: String, manufacturer: String, vendorIDs: [UInt16], role: ScannerRole = .switchable) {
        self.name = name
        self.manufacturer = manufacturer
        self.vendorIDs = vendorIDs
        self.role = role
    }
}

/// The built-in profiles of SPEC §3, kept as data.
public enum BuiltInProfiles {
    public static let all: [ScannerProfile] = [
        ScannerProfile(
            name: "honeywell", manufacturer: "Honeywell / Metrologic / Hand Held Products",
            vendorIDs: [0x0C2E, 0x0536]),
        ScannerProfile(name: "zebra", manufacturer: "Zebra / Symbol", vendorIDs: [0x05E0]),
        ScannerProfile(name: "datalogic", manufacturer: "Datalogic", vendorIDs: [0x05F9, 0x080C]),
        ScannerProfile(name: "newland", manufacturer: "Newland", vendorIDs: [0x1EAB]),
        ScannerProfile(name: "intermec", manufacturer: "Intermec", vendorIDs: [0x067E]),
        ScannerProfile(name: "youjie", manufacturer: "Youjie", vendorIDs: [0x23D0]),
        ScannerProfile(name: "cino", manufacturer: "Cino", vendorIDs: [0x1FBB]),
        ScannerProfile(name: "mindeo", manufacturer: "Mindeo", vendorIDs: [0x27DD]),
    ]

    /// The profile of a vendor ID, or nil for a vendor that is not a known scanner maker.
    public static func profile(vendorID: UInt16) -> ScannerProfile? {
        all.first { $0.vendorIDs.contains(vendorID) }
    }

    /// The profile with `name`, for configuration that refers to one.
    public static func profile(named name: String) -> ScannerProfile? {
        all.first { $0.name == name }
    }
}
