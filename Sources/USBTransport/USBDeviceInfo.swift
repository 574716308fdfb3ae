import SystemSupport
/// Where a device sits: bus number and address, both assigned by the kernel.
///
/// The address changes on every re-plug; the port path does not, which is why configuration
/// matches on `port` to tell identical scanners apart.
public struct USBDeviceID: Hashable, Sendable, CustomStringConvertible {
    public let bus: UInt8
    public let address: UInt8
    public init(bus: UInt8, address: UInt8) {
        self.bus = bus
        self.address = address
    }
    public var description: String { "bus \(bus) address \(address)" }
}

/// A USB transfer type, as in the endpoint descriptor's `bmAttributes`.
public enum USBTransferType: UInt8, Sendable {
    case control = 0, isochronous = 1, bulk = 2, interrupt = 3
}

/// One endpoint of an interface.
public struct USBEndpointInfo: Hashable, Sendable {
    /// The endpoint address; bit 7 set means IN (device to host).
    public let address: UInt8
    public let transferType: USBTransferType
    public let maxPacketSize: UInt16
    /// Polling interval in frames (interrupt endpoints).
    public let interval: UInt8
    public var isInput: Bool { address & 0x80 != 0 }
    public init(address: UInt8, transferType: USBTransferType, maxPacketSize: UInt16, interval: UInt8) {
        self.address = address
        self.transferType = transferType
        self.maxPacketSize = maxPacketSize
        self.interval = interval
    }
}

/// One interface (alternate setting 0) of the active configuration.
public struct USBInterfaceInfo: Hashable, Sendable {
    public let number: UInt8
    public let interfaceClass: UInt8
    public let interfaceSubclass: UInt8
    public let interfaceProtocol: UInt8
    public let endpoints: [USBEndpointInfo]
    /// The kernel driver bound to this interface (`usbhid`, `cdc_acm`, `ftdi_sio`, or `usbfs` when
    /// a program has claimed it), read from sysfs; nil when none is bound or sysfs cannot tell.
    public let kernelDriver: String?
    /// Bytes that follow the interface descriptor before the first endpoint (the HID descriptor,
    /// CDC functional descriptors).
    public let extraDescriptors: [UInt8]
    /// The HID report descriptor as sysfs publishes it while usbhid is bound; nil otherwise (the
    /// agent then asks the device with GET_DESCRIPTOR once it holds the interface).
    public let hidReportDescriptor: [UInt8]?
    public init(
        number: UInt8, interfaceClass: UInt8, interfaceSubclass: UInt8, interfaceProtocol: UInt8,
        endpoints: [USBEndpointInfo], kernelDriver: String?, extraDescriptors: [UInt8],
        hidReportDescriptor: [UInt8]? = nil
    ) {
        self.hidReportDescriptor = hidReportDescriptor
        self.number = number
        self.interfaceClass = interfaceClass
        self.interfaceSubclass = interfaceSubclass
        self.interfaceProtocol = interfaceProtocol
        self.endpoints = endpoints
        self.kernelDriver = kernelDriver
        self.extraDescriptors = extraDescriptors
    }
}

/// What the agent knows of a device without opening it: descriptors, strings, port and drivers.
///
/// Strings come from sysfs (the kernel read them at enumeration), so listing devices needs no
/// permission on the device nodes and never wakes or disturbs a scanner.
public struct USBDeviceInfo: Hashable, Sendable {
    public let id: USBDeviceID
    /// The port path as the kernel names it: `"1-1.2"` is bus 1, root port 1, hub port 2.
    public let port: String
    public let vendorID: UInt16
    public let productID: UInt16
    public let deviceClass: UInt8
    public let deviceSubclass: UInt8
    public let deviceProtocol: UInt8
    /// `bcdDevice`, the device's release number.
    public let release: UInt16
    public let manufacturer: String?
    public let product: String?
    public let serial: String?
    /// Interfaces of the active configuration (empty if it could not be read).
    public let interfaces: [USBInterfaceInfo]
    /// udev has finished with the device (its rules ran: group and mode are final). Opening before
    /// that can fail with a permission error that would be gone a moment later.
    public let udevInitialized: Bool
    /// The device node, e.g. `/dev/bus/usb/001/005`.
    public var deviceNode: String {
        "/dev/bus/usb/" + threeDigits(id.bus) + "/" + threeDigits(id.address)
    }
    /// `vid:pid` as 4 lowercase hex digits each, as `lsusb` prints it.
    public var vidPid: String { hex4(vendorID) + ":" + hex4(productID) }
    /// True for hubs (class 9), which the agent never considers.
    public var isHub: Bool { deviceClass == 9 }

    public init(
        id: USBDeviceID, port: String, vendorID: UInt16, productID: UInt16, deviceClass: UInt8,
        deviceSubclass: UInt8, deviceProtocol: UInt8, release: UInt16, manufacturer: String?,
        product: String?, serial: String?, interfaces: [USBInterfaceInfo], udevInitialized: Bool = true
    ) {
        self.udevInitialized = udevInitialized
        self.id = id
        self.port = port
        self.vendorID = vendorID
        self.productID = productID
        self.deviceClass = deviceClass
        self.deviceSubclass = deviceSubclass
        self.deviceProtocol = deviceProtocol
        self.release = release
        self.manufacturer = manufacturer
        self.product = product
        self.serial = serial
        self.interfaces = interfaces
    }
}

func threeDigits(_ value: UInt8) -> String {
    let digits = String(value)
    return String(repeating: "0", count: max(0, 3 - digits.count)) + digits
}
