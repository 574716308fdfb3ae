public import USBTransport

/// Why a scanner reader could not start, read or send feedback, with what a technician can do.
///
/// The USB error underneath (when there is one) is kept, so the device manager can tell "the device is
/// gone, wait for it" (``isDeviceGone``) from "something holds it, retry later" from a real fault.
public struct ScannerReaderError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The step that failed.
    public enum Step: String, Sendable, Hashable {
        /// Opening the device node.
        case open
        /// Claiming an interface (detaching its kernel driver first).
        case claim
        /// The protocol's setup requests (HID SET_PROTOCOL, CDC line coding, FTDI vendor requests).
        case setup
        /// Reading input.
        case read
        /// Sending a verdict back.
        case feedback
    }

    public let step: Step
    /// The device's name and position, as the log shows it.
    public let device: String
    /// What was being done, in plain words.
    public let operation: String
    /// The USB error underneath, if any.
    public let usbError: USBError?

    public init(step: Step, device: String, operation: String, usbError: USBError?) {
        self.step = step
        self.device = device
        self.operation = operation
        self.usbError = usbError
    }

    /// True when the device went away: not a fault, the reader is restarted when it comes back.
    public var isDeviceGone: Bool { usbError?.code == USBError.noDevice.code }

    /// What to do about it.
    public var advice: String {
        if let usbError { return usbError.advice }
        switch step {
        case .setup:
            return "the device does not speak the configured protocol: check `protocol` for this device "
                + "or set it to \"auto\""
        default:
            return "re-plug the device; if it keeps failing, `dmesg` shows the kernel's USB errors and "
                + "`station-agent doctor` checks permissions and rules"
        }
    }

    public var description: String {
        let cause = usbError.map { ": \($0.name)" } ?? ""
        return "\(device): cannot \(operation)\(cause): \(advice)"
    }
}
