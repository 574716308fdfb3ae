/// An error from the camera layer: libuvc's code (or one of this module's) and what was being done.
///
/// A struct around an open set of codes, as `USBError`, so new cases never break callers;
/// `description` says what happened and what a technician can do about it.
public struct UVCError: Error, Sendable, Equatable, CustomStringConvertible {
    /// libuvc's `uvc_error_t` (negative; -1…-12 are libusb's codes), or one of this module's below.
    public let code: Int32
    /// What was being done, e.g. `"open the camera at bus 1 address 7"`.
    public let operation: String

    public init(code: Int32, operation: String) {
        self.code = code
        self.operation = operation
    }

    public static func == (lhs: UVCError, rhs: UVCError) -> Bool { lhs.code == rhs.code }

    /// Matches any `UVCError` with the same code in `catch` patterns (`catch UVCError.unplugged`).
    public static func ~= (pattern: UVCError, value: any Error) -> Bool {
        (value as? UVCError)?.code == pattern.code
    }

    /// No permission on the camera's device node.
    public static let accessDenied = UVCError(code: -3, operation: "")
    /// The camera is not (or no longer) there.
    public static let noDevice = UVCError(code: -4, operation: "")
    /// Another program (or another stream of this agent) holds the camera.
    public static let busy = UVCError(code: -6, operation: "")
    /// The device has no UVC video control interface, or descriptors libuvc cannot read.
    public static let notACamera = UVCError(code: -50, operation: "")
    /// The camera offers no format at the asked size and frame rate.
    public static let modeNotOffered = UVCError(code: -51, operation: "")
    /// The camera went away while streaming (unplugged, or reset by the kernel).
    public static let unplugged = UVCError(code: -2001, operation: "")
    /// The camera was closed.
    public static let closed = UVCError(code: -2002, operation: "")
    /// A stream is already running on this camera.
    public static let alreadyStreaming = UVCError(code: -2003, operation: "")
    /// A `frame` setting that is not `WIDTHxHEIGHT@FPS`.
    public static let badFrameSetting = UVCError(code: -2004, operation: "")
    /// The camera stopped sending frames while streaming, without leaving (a hub reset, interference).
    public static let stalled = UVCError(code: -2005, operation: "")

    /// A short name for the code (`NO_DEVICE`, `UNPLUGGED`).
    public var name: String {
        switch code {
        case -1: "IO"
        case -2: "INVALID_PARAM"
        case -3: "ACCESS"
        case -4: "NO_DEVICE"
        case -5: "NOT_FOUND"
        case -6: "BUSY"
        case -7: "TIMEOUT"
        case -8: "OVERFLOW"
        case -9: "PIPE"
        case -10: "INTERRUPTED"
        case -11: "NO_MEM"
        case -12: "NOT_SUPPORTED"
        case -50: "NOT_A_CAMERA"
        case -51: "MODE_NOT_OFFERED"
        case -52: "CALLBACK_EXISTS"
        case -2001: "UNPLUGGED"
        case -2002: "CLOSED"
        case -2003: "ALREADY_STREAMING"
        case -2004: "BAD_FRAME_SETTING"
        case -2005: "STALLED"
        default: "ERROR \(code)"
        }
    }

    /// What a technician can do about it, in plain words.
    public var advice: String {
        switch code {
        case -3:
            "no permission on the camera's USB device node: install the udev rules (station-agent udev-rules), "
                + "add the service user to the 'station-agent' group, then re-plug the camera"
        case -4, -2001:
            "the camera was unplugged or reset; it is picked up again when it comes back (check its cable and "
                + "that the box gives it enough power)"
        case -6, -2003:
            "another program holds the camera (a video call, `cheese`, another agent): stop it "
                + "(check 'fuser /dev/video* /dev/bus/usb/*/*')"
        case -50:
            "this device is not a UVC camera: check the [[devices]] entry's vendor_id/product_id"
        case -51:
            "the camera does not offer this size and frame rate: `station-agent devices` lists what it offers; "
                + "set `frame` to one of them (\"640x480@15\")"
        case -2004:
            "write `frame` as WIDTHxHEIGHT@FPS, e.g. \"640x480@15\""
        case -2002:
            "the camera was closed by the agent"
        case -2005:
            "the camera sent no frame while streaming (a USB reset or interference): its stream is started again; "
                + "if this repeats, check its cable and that the box gives it enough power (`dmesg` shows USB resets)"
        default:
            "re-plug the camera; if it keeps failing, `dmesg` shows the kernel's USB errors and "
                + "`station-agent doctor` checks permissions and rules"
        }
    }

    public var description: String {
        let what = operation.isEmpty ? "camera operation" : operation
        return "\(what) failed: \(name): \(advice)"
    }
}
