/// One scan as the rules receive it: what was read, by which device in which role, and when.
///
/// Built by the agent from a decoded USB read, or by `station-agent scan` from the command line. For a manual
/// scan, pass the direction the user chose as a fixed role (`--in` → ``DeviceRole/inbound``, `--out` →
/// ``DeviceRole/outbound``) and the device name `manual` (or the `--device` given), with source ``ScanSource/manual``.
public struct ScanInput: Sendable, Hashable {
    /// The decoded text exactly as read (terminators included).
    public var raw: String
    /// The AIM symbology identifier the device reported out of band (HID POS), if any.
    public var reportedSymbology: String?
    /// The configured device name, the built-in profile name, or `manual`.
    public var device: String
    /// The device's configured role.
    public var role: DeviceRole
    /// USB or manual entry.
    public var source: ScanSource
    /// When the scan was read.
    public var time: EventTime

    /// Creates a scan.
    public init(
        raw: String, reportedSymbology: String? = nil, device: String, role: DeviceRole, source: ScanSource = .usb,
        time: EventTime
    ) {
        self.raw = raw
        self.reportedSymbology = reportedSymbology
        self.device = device
        self.role = role
        self.source = source
        self.time = time
    }
}
