/// The direction of a parcel scan: inbound (入库, the parcel arrived) or outbound (出库, released to the recipient).
///
/// The raw values are the ones `scans --json` prints in its `direction` field (SPEC §2), so the journal can
/// store and print them without a translation table.
public enum Direction: String, Sendable, Hashable, CaseIterable {
    /// 入库: the parcel arrived at this station.
    case inbound = "in"
    /// 出库: the parcel was handed to its recipient.
    case outbound = "out"
}

/// What a device is configured to do (SPEC §3 `role`).
///
/// A fixed role exists so that a release device (出库仪) can never be flipped into inbound by a stray card, and a
/// desk scanner can follow the mode cards (§5.3). The raw values are the configuration file's spellings.
public enum DeviceRole: String, Sendable, Hashable, CaseIterable {
    /// Always scans inbound; mode cards are ignored (and logged).
    case inbound
    /// Always scans outbound; mode cards are ignored (and logged).
    case outbound
    /// Follows `#STATION:IN` / `#STATION:OUT`; starts inbound until the first `#STATION:OUT`.
    case switchable

    /// The fixed direction of this role, or `nil` for ``switchable`` (whose direction is persisted state).
    public var fixedDirection: Direction? {
        switch self {
        case .inbound: .inbound
        case .outbound: .outbound
        case .switchable: nil
        }
    }
}

/// Where a scan came from (SPEC §2 `source`): a USB device, or a person typing `station-agent scan`.
///
/// Both go through the same rules; the source is kept so a dispute can tell a scanned label from a typed one.
public enum ScanSource: String, Sendable, Hashable, CaseIterable {
    /// Read from a USB scanner or release device.
    case usb
    /// Typed on the command line (`station-agent scan CODE --in|--out`), e.g. for a damaged label.
    case manual
}
