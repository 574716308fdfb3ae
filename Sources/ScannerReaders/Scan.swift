import SystemSupport
public import ScannerProtocols
public import USBTransport

/// Which physical device a scan came from: the configured name and what identifies the device on USB.
///
/// Kept with every scan (not looked up later) because the device may be gone, or re-plugged at another
/// address, by the time the scan is journalled.
public struct ScannerIdentity: Sendable, Hashable, CustomStringConvertible {
    /// The configured device name, or the built-in profile's name.
    public var name: String
    public var vendorID: UInt16
    public var productID: UInt16
    /// The serial number string, when the device has one.
    public var serial: String?
    /// The USB port path (`1-1.2`), which tells identical scanners apart.
    public var port: String

    public init(name: String, vendorID: UInt16, productID: UInt16, serial: String?, port: String) {
        self.name = name
        self.vendorID = vendorID
        self.productID = productID
        self.serial = serial
        self.port = port
    }

    /// The identity of `device` under `name`.
    public init(name: String, device: USBDeviceInfo) {
        self.init(
            name: name, vendorID: device.vendorID, productID: device.productID, serial: device.serial,
            port: device.port)
    }

    /// `name (vid:pid at port)`, as log lines show a device.
    public var description: String { "\(name) (\(hex4(vendorID)):\(hex4(productID)) at \(port))" }
}

/// One code read from a scanner, ready for the scan rules (SPEC §5).
///
/// It carries what the device sent (``raw``), as text, with the identity of the device and the monotonic
/// time of the USB transfer that completed it, so the rules and the journal never depend on when the
/// consumer got round to reading it.
public struct Scan: Sendable, Hashable, CustomStringConvertible {
    /// Where a scan came from. Only USB here; manual entry is built elsewhere.
    public enum Source: String, Sendable, Hashable {
        case usb
    }

    public var device: ScannerIdentity
    /// The protocol the code was decoded with.
    public var scannerProtocol: ScannerProtocol
    /// The bytes of the code as sent, terminator excluded (and, for HID POS, AIM identifier excluded).
    public var raw: [UInt8]
    /// ``raw`` decoded as UTF-8 (invalid bytes as U+FFFD).
    public var text: String
    /// The AIM symbology identifier the device reported out of band (HID POS), or nil.
    public var symbology: String?
    /// `MonotonicClock` nanoseconds when the transfer that completed the code reached the agent (for a
    /// keyboard code ended by silence: the transfer with its last character).
    public var completedAt: UInt64
    /// What ended the code (Enter, line end, silence, end of report).
    public var terminator: CodeTerminator
    public var source: Source

    public init(
        device: ScannerIdentity, scannerProtocol: ScannerProtocol, code: ScannedCode, source: Source = .usb
    ) {
        self.device = device
        self.scannerProtocol = scannerProtocol
        self.raw = code.raw
        self.text = code.text
        self.symbology = code.symbology
        self.completedAt = code.completedAt
        self.terminator = code.terminator
        self.source = source
    }

    public var description: String {
        let prefix = symbology.map { "\($0) " } ?? ""
        return "\(device.name): \(prefix)\(text.debugDescription) (\(terminator.rawValue) at \(completedAt) ns)"
    }
}

/// The verdict as a scanner can show it: the rules' four verdicts collapse to these two (SPEC §6: the
/// good-read beep for `ok`, the error beep for every other verdict).
public enum FeedbackSignal: String, Sendable, Hashable, CaseIterable {
    case good
    case bad
}

/// What ``ScannerReader/giveFeedback(_:serialBytes:)`` sent, for the verdict's log line.
public enum FeedbackDelivery: Sendable, Hashable {
    /// A HID POS beep output report written on the interrupt OUT endpoint.
    case outputReport([UInt8], endpoint: UInt8)
    /// A HID POS beep output report sent with HID SET_REPORT (the device has no interrupt OUT endpoint).
    case setReport([UInt8])
    /// The configured bytes written on the serial device's bulk OUT endpoint.
    case serialBytes([UInt8], endpoint: UInt8)
    /// Nothing was sent, and why (a keyboard wedge has no channel back; no beep bits; no bytes configured).
    case nothing(reason: String)
}

/// Why a reader ended: what the device manager does next depends on it.
public enum ReaderOutcome: Sendable, Equatable {
    /// ``ScannerReader/close()`` was called.
    case stopped
    /// The device was unplugged (or reset): wait for it to come back, then open a new reader.
    case unplugged
    /// Reading failed for good (a broken cable, a device that stopped answering): retry with backoff.
    case failed(ScannerReaderError)
}
