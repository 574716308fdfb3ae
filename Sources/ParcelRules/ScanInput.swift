/// One scan as the rules receive it: what was read, by which device in which role, and when.
///
/// Built by the agent from a decoded USB read, or by `station-agent scan` from the command line. For a manual
/// scan, pass the direction the user chose as a fixed role (`--in` → ``DeviceRole/inbound``, `--out` →
/// ``DeviceRole/outbound``) and the device name `manual` (or the `--device` given), with source ``ScanSource/manual``.
public struct ScanInput: Sendable, Hashable {
    /// The bytes of the code exactly as the device sent them, terminator excluded (Enter, Tab, CR/LF end a code and
    /// are not part of it) and, for HID POS, without the out-of-band AIM identifier (``reportedSymbology``). For a
    /// manual entry: the argument's UTF-8 bytes. The journal stores these bytes unchanged (SPEC §7 "raw bytes as
    /// read"), also when they are not UTF-8.
    public var raw: [UInt8]
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

    /// ``raw`` decoded as UTF-8, bytes that are not UTF-8 as U+FFFD (which the validity rule then rejects).
    public var text: String { String(decoding: raw, as: UTF8.self) }

    /// Creates a scan of the code `raw` typed or read as text.
    public init(
        raw: String, reportedSymbology: String? = nil, device: String, role: DeviceRole, source: ScanSource = .usb,
        time: EventTime
    ) {
        self.init(
            raw: Array(raw.utf8), reportedSymbology: reportedSymbology, device: device, role: role, source: source,
            time: time)
    }

    /// Creates a scan of the bytes `raw` as a device sent them.
    public init(
        raw: [UInt8], reportedSymbology: String? = nil, device: String, role: DeviceRole, source: ScanSource = .usb,
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
