internal import CLibUSB

/// An error from the USB layer, carrying the libusb code and the operation that failed.
///
/// A struct around an open set of codes (as swift-system's `Errno`), so new cases never break
/// callers. `description` says what happened and what a technician can do about it.
public struct USBError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The libusb error code (`LIBUSB_ERROR_*`, negative), or one of this module's own below.
    public let code: Int32
    /// What was being done, e.g. `"claim interface 0 of 0c2e:0b61 at 1-1.2"`.
    public let operation: String

    public init(code: Int32, operation: String) {
        self.code = code
        self.operation = operation
    }

    /// The machine has no USB device file system (`/dev/bus/usb`), as in most containers.
    public static let noUSBCode: Int32 = -1000
    /// The context has been shut down.
    public static let shutDownCode: Int32 = -1001

    public static func == (lhs: USBError, rhs: USBError) -> Bool { lhs.code == rhs.code }

    /// Matches any `USBError` with the same code in `catch` patterns (`catch USBError.noDevice`).
    public static func ~= (pattern: USBError, value: any Error) -> Bool {
        (value as? USBError)?.code == pattern.code
    }

    public static let accessDenied = USBError(code: LIBUSB_ERROR_ACCESS.rawValue, operation: "")
    public static let noDevice = USBError(code: LIBUSB_ERROR_NO_DEVICE.rawValue, operation: "")
    public static let notFound = USBError(code: LIBUSB_ERROR_NOT_FOUND.rawValue, operation: "")
    public static let busy = USBError(code: LIBUSB_ERROR_BUSY.rawValue, operation: "")
    public static let timeout = USBError(code: LIBUSB_ERROR_TIMEOUT.rawValue, operation: "")
    public static let pipe = USBError(code: LIBUSB_ERROR_PIPE.rawValue, operation: "")
    public static let interrupted = USBError(code: LIBUSB_ERROR_INTERRUPTED.rawValue, operation: "")
    public static let notSupported = USBError(code: LIBUSB_ERROR_NOT_SUPPORTED.rawValue, operation: "")
    public static let cancelled = USBError(code: -1002, operation: "")
    public static let noUSB = USBError(code: noUSBCode, operation: "")
    public static let shutDown = USBError(code: shutDownCode, operation: "")

    /// libusb's name for the code (`LIBUSB_ERROR_ACCESS`), or this module's.
    public var name: String {
        switch code {
        case USBError.noUSBCode: return "NO_USB"
        case USBError.shutDownCode: return "SHUT_DOWN"
        case USBError.cancelled.code: return "CANCELLED"
        default: return String(cString: libusb_error_name(code))
        }
    }

    /// What a technician can do about it, in plain words.
    public var advice: String {
        switch code {
        case LIBUSB_ERROR_ACCESS.rawValue:
            return "no permission on the USB device node: install the udev rules (station-agent udev-rules) "
                + "and add the service user to the 'station-agent' group, then re-plug the device"
        case LIBUSB_ERROR_NO_DEVICE.rawValue:
            return "the device was unplugged or reset; it is picked up again when it comes back"
        case LIBUSB_ERROR_BUSY.rawValue:
            return "another program holds this interface: stop it (check 'fuser /dev/bus/usb/*/*')"
        case LIBUSB_ERROR_NOT_FOUND.rawValue:
            return "the interface or device is not there (yet): the kernel may still be binding its driver"
        case USBError.noUSBCode:
            return "this machine has no USB device file system (/dev/bus/usb): run on the box itself, "
                + "or give the container the host's /dev/bus/usb"
        case USBError.shutDownCode:
            return "the USB layer is shutting down"
        default:
            return "re-plug the device; if it keeps failing, `dmesg` shows the kernel's USB errors and "
                + "`station-agent doctor` checks permissions and rules"
        }
    }

    public var description: String {
        let what = operation.isEmpty ? "USB operation" : operation
        return "\(what) failed: \(name): \(advice)"
    }
}

/// Throws a `USBError` for a negative libusb return code; returns non-negative codes unchanged.
@discardableResult
func check(_ result: Int32, _ operation: @autoclosure () -> String) throws(USBError) -> Int32 {
    if result < 0 { throw USBError(code: result, operation: operation()) }
    return result
}
