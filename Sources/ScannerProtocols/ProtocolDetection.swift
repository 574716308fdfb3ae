/// How a scanner talks to the agent (SPEC §4); the raw values are the configuration's `protocol` values.
public enum ScannerProtocol: String, Sendable, Hashable, CaseIterable {
    case hidKeyboard = "hid-keyboard"
    case hidPOS = "hid-pos"
    case cdcACM = "cdc-acm"
    case ftdi
}

/// The interface and endpoints to claim and read for one protocol on one device.
public struct ProtocolMatch: Sendable, Hashable {
    /// The decoder to run on what ``inEndpoint`` delivers.
    public var scannerProtocol: ScannerProtocol
    /// The interface to claim and read (for CDC-ACM: the data interface).
    public var interfaceNumber: UInt8
    public var alternateSetting: UInt8
    /// Where scans arrive: interrupt IN for HID, bulk IN for serial.
    public var inEndpoint: USBEndpointSummary
    /// Interrupt OUT (HID POS beeps when present, else SET_REPORT) or bulk OUT (serial feedback bytes).
    public var outEndpoint: USBEndpointSummary?
    /// CDC-ACM only: the communications interface, which must be claimed too (its kernel driver holds
    /// both) and receives SET_LINE_CODING / SET_CONTROL_LINE_STATE.
    public var controlInterfaceNumber: UInt8?
    /// HID POS only: where the scanned data and beep bits are.
    public var hidPOSLayout: HIDPOSLayout?
    /// HID POS only: false when ``hidPOSLayout`` is the Honeywell fallback because the descriptor was
    /// missing or unreadable (worth a warning in `doctor`).
    public var layoutFromDescriptor: Bool

    public init(
        scannerProtocol: ScannerProtocol, interfaceNumber: UInt8, alternateSetting: UInt8 = 0,
        inEndpoint: USBEndpointSummary, outEndpoint: USBEndpointSummary? = nil,
        controlInterfaceNumber: UInt8? = nil, hidPOSLayout: HIDPOSLayout? = nil, layoutFromDescriptor: Bool = false
    ) {
        self.scannerProtocol = scannerProtocol
        self.interfaceNumber = interfaceNumber
        self.alternateSetting = alternateSetting
        self.inEndpoint = inEndpoint
        self.outEndpoint = outEndpoint
        self.controlInterfaceNumber = controlInterfaceNumber
        self.hidPOSLayout = hidPOSLayout
        self.layoutFromDescriptor = layoutFromDescriptor
    }
}

/// Whose device detection is looking at, which decides what it may claim.
public enum DetectionPolicy: String, Sendable, Hashable {
    /// A `[[devices]]` entry names the device: the operator says it is a scanner, so any scanner
    /// interface is used, whatever the vendor.
    case configured
    /// No configuration names it: only devices of a built-in profile's vendor are claimed, so an
    /// ordinary keyboard (or a modem, or an FTDI cable) plugged into the box keeps working (SPEC §3).
    case unconfigured
}

/// Decides a device's protocol from its descriptors (`protocol = "auto"`).
public enum ProtocolDetector {
    /// Preference when a composite device offers several: HID POS carries the symbology and can beep;
    /// FTDI and CDC-ACM can take feedback bytes; the keyboard wedge is the last resort.
    public static let preference: [ScannerProtocol] = [.hidPOS, .ftdi, .cdcACM, .hidKeyboard]

    /// The protocol and interface to use for `device`, or nil when it is not a scanner the agent may claim.
    public static func detect(_ device: USBDeviceSummary, policy: DetectionPolicy) -> ProtocolMatch? {
        if policy == .unconfigured, BuiltInProfiles.profile(vendorID: device.vendorID) == nil {
            return nil
        }
        for candidate in preference {
            // FTDI bridges are recognised by vendor: their interface is vendor-specific (0xFF/0xFF/0xFF)
            // like many other devices' interfaces.
            if candidate == .ftdi, device.vendorID != USBClassCode.ftdiVendorID { continue }
            if let match = match(candidate, in: device) { return match }
        }
        return nil
    }

    /// The interface for an explicitly configured protocol, or nil when the device has none for it.
    public static func match(_ scannerProtocol: ScannerProtocol, in device: USBDeviceSummary) -> ProtocolMatch? {
        switch scannerProtocol {
        case .hidPOS:
            for interface in device.interfaces where interface.interfaceClass == USBClassCode.hid {
                guard let descriptor = interface.hidReportDescriptor,
                    HIDReportDescriptor.mentionsUsagePage(HIDPOSUsage.page, in: descriptor),
                    let inEndpoint = interface.inEndpoint(.interrupt)
                else { continue }
                let resolved = HIDPOSLayout.resolve(descriptorBytes: descriptor)
                return ProtocolMatch(
                    scannerProtocol: .hidPOS, interfaceNumber: interface.number,
                    alternateSetting: interface.alternateSetting, inEndpoint: inEndpoint,
                    outEndpoint: interface.outEndpoint(.interrupt), hidPOSLayout: resolved.layout,
                    layoutFromDescriptor: resolved.fromDescriptor)
            }
            return nil
        case .hidKeyboard:
            for interface in device.interfaces
            where interface.interfaceClass == USBClassCode.hid
                && interface.interfaceSubclass == USBClassCode.hidBootSubclass
                && interface.interfaceProtocol == USBClassCode.hidKeyboardProtocol
            {
                guard let inEndpoint = interface.inEndpoint(.interrupt) else { continue }
                return ProtocolMatch(
                    scannerProtocol: .hidKeyboard, interfaceNumber: interface.number,
                    alternateSetting: interface.alternateSetting, inEndpoint: inEndpoint)
            }
            return nil
        case .cdcACM:
            guard
                let control = device.interfaces.first(where: {
                    $0.interfaceClass == USBClassCode.communications
                        && $0.interfaceSubclass == USBClassCode.abstractControlModel
                })
            else { return nil }
            // The data interface normally follows its control interface; take that one when present.
            let dataInterfaces = device.interfaces.filter {
                $0.interfaceClass == USBClassCode.cdcData && $0.inEndpoint(.bulk) != nil
            }
            guard
                let data = dataInterfaces.first(where: { $0.number == control.number &+ 1 }) ?? dataInterfaces.first,
                let inEndpoint = data.inEndpoint(.bulk)
            else { return nil }
            return ProtocolMatch(
                scannerProtocol: .cdcACM, interfaceNumber: data.number, alternateSetting: data.alternateSetting,
                inEndpoint: inEndpoint, outEndpoint: data.outEndpoint(.bulk), controlInterfaceNumber: control.number)
        case .ftdi:
            for interface in device.interfaces where interface.interfaceClass == USBClassCode.vendorSpecific {
                guard let inEndpoint = interface.inEndpoint(.bulk) else { continue }
                return ProtocolMatch(
                    scannerProtocol: .ftdi, interfaceNumber: interface.number,
                    alternateSetting: interface.alternateSetting, inEndpoint: inEndpoint,
                    outEndpoint: interface.outEndpoint(.bulk))
            }
            return nil
        }
    }
}
