/// USB transfer types of an endpoint (bmAttributes bits 0-1).
public enum USBTransferType: UInt8, Sendable, Hashable {
    case control = 0
    case isochronous = 1
    case bulk = 2
    case interrupt = 3
}

/// One endpoint of an interface, as its endpoint descriptor says.
public struct USBEndpointSummary: Sendable, Hashable {
    /// bEndpointAddress; bit 7 set for IN.
    public var address: UInt8
    public var transferType: USBTransferType
    /// wMaxPacketSize (bits 0-10): FTDI puts status bytes at this period.
    public var maxPacketSize: Int

    public init(address: UInt8, transferType: USBTransferType, maxPacketSize: Int) {
        self.address = address
        self.transferType = transferType
        self.maxPacketSize = maxPacketSize
    }

    /// True for device-to-host endpoints.
    public var isInput: Bool { address & 0x80 != 0 }
}

/// One interface (alternate setting) of the active configuration.
public struct USBInterfaceSummary: Sendable, Hashable {
    public var number: UInt8
    public var alternateSetting: UInt8
    public var interfaceClass: UInt8
    public var interfaceSubclass: UInt8
    public var interfaceProtocol: UInt8
    public var endpoints: [USBEndpointSummary]
    /// The HID report descriptor, for HID interfaces whose descriptor the transport could read; detection
    /// of HID POS needs it.
    public var hidReportDescriptor: [UInt8]?

    public init(
        number: UInt8, alternateSetting: UInt8 = 0, interfaceClass: UInt8, interfaceSubclass: UInt8,
        interfaceProtocol: UInt8, endpoints: [USBEndpointSummary], hidReportDescriptor: [UInt8]? = nil
    ) {
        self.number = number
        self.alternateSetting = alternateSetting
        self.interfaceClass = interfaceClass
        self.interfaceSubclass = interfaceSubclass
        self.interfaceProtocol = interfaceProtocol
        self.endpoints = endpoints
        self.hidReportDescriptor = hidReportDescriptor
    }

    /// The first IN endpoint of `type`.
    public func inEndpoint(_ type: USBTransferType) -> USBEndpointSummary? {
        endpoints.first { $0.isInput && $0.transferType == type }
    }

    /// The first OUT endpoint of `type`.
    public func outEndpoint(_ type: USBTransferType) -> USBEndpointSummary? {
        endpoints.first { !$0.isInput && $0.transferType == type }
    }
}

/// What protocol detection needs to know of a device: a value the transport fills from libusb's
/// descriptors, so detection is decided (and tested) without hardware.
public struct USBDeviceSummary: Sendable, Hashable {
    public var vendorID: UInt16
    public var productID: UInt16
    /// bDeviceClass (0 when each interface names its own class).
    public var deviceClass: UInt8
    public var interfaces: [USBInterfaceSummary]

    public init(vendorID: UInt16, productID: UInt16, deviceClass: UInt8 = 0, interfaces: [USBInterfaceSummary]) {
        self.vendorID = vendorID
        self.productID = productID
        self.deviceClass = deviceClass
        self.interfaces = interfaces
    }
}

/// USB class codes detection looks for.
public enum USBClassCode {
    public static let communications: UInt8 = 0x02
    public static let hid: UInt8 = 0x03
    public static let cdcData: UInt8 = 0x0A
    /// Video (UVC cameras): subclass 1 is the control interface, 2 the streaming one.
    public static let video: UInt8 = 0x0E
    public static let videoControlSubclass: UInt8 = 0x01
    public static let vendorSpecific: UInt8 = 0xFF
    /// CDC subclass Abstract Control Model.
    public static let abstractControlModel: UInt8 = 0x02
    /// HID subclass Boot Interface.
    public static let hidBootSubclass: UInt8 = 0x01
    /// HID protocol Keyboard.
    public static let hidKeyboardProtocol: UInt8 = 0x01
    /// FTDI's vendor ID.
    public static let ftdiVendorID: UInt16 = 0x0403
}
