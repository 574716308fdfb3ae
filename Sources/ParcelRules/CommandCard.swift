/// The printed command barcodes of SPEC §5.2: scanned like parcels, but never counted as parcels.
///
/// The raw values are the exact texts to encode (Code 128, all in set B); `station-agent cards` prints them.
/// Matching is on the normalised code, so a card read with Caps Lock on (`#station:out`) still works.
public enum CommandCard: String, Sendable, Hashable, CaseIterable {
    /// Switches a `switchable` device to inbound (入库).
    case modeIn = "#STATION:IN"
    /// Switches a `switchable` device to outbound (出库).
    case modeOut = "#STATION:OUT"
    /// Cancels the device's newest counted parcel event of the last 10 minutes (§5.8).
    case undo = "#STATION:UNDO"

    /// The text encoded on the card.
    public var text: String { rawValue }

    /// A caption for the printed card, bilingual because the operators read Chinese and technicians may not.
    public var caption: String {
        switch self {
        case .modeIn: "入库模式 / Inbound mode"
        case .modeOut: "出库模式 / Outbound mode"
        case .undo: "撤销上一件 / Undo last parcel"
        }
    }

    /// The direction a mode card selects, or `nil` for ``undo``.
    public var selectedDirection: Direction? {
        switch self {
        case .modeIn: .inbound
        case .modeOut: .outbound
        case .undo: nil
        }
    }

    /// The card a normalised code denotes, if it is one.
    public init?(code: String) {
        self.init(rawValue: code)
    }
}
