public import ScannerProtocols
public import USBTransport

/// Turns what the transport knows of a device into what the readers need: the protocol and interface
/// to use (`protocol = "auto"` or a configured one).
public enum ProtocolSelection {
    /// The protocol match for `device`.
    ///
    /// - Parameters:
    ///   - configured: the configured protocol, or nil for `auto` (decided from the descriptors by
    ///     ``ProtocolDetector/detect(_:policy:)``).
    ///   - policy: for `auto` only: `.unconfigured` adopts only built-in profiles' vendors, so an ordinary
    ///     keyboard is never claimed; a configured protocol comes from a `[[devices]]` entry, which is
    ///     the operator's word that the device is a scanner.
    /// - Returns: nil when the device has no interface for that protocol (or is not a scanner `auto` may take).
    ///
    /// A configured `hid-pos` device whose report descriptor sysfs does not show (usbhid is not bound,
    /// e.g. after a crash left it detached) still gets a match, without layout: the reader then asks the
    /// device for the descriptor itself once it holds the interface.
    public static func match(
        for device: USBDeviceInfo, configured: ScannerProtocol?, policy: DetectionPolicy
    ) -> ProtocolMatch? {
        let summary = summary(of: device)
        guard let configured else { return ProtocolDetector.detect(summary, policy: policy) }
        if let match = ProtocolDetector.match(configured, in: summary) { return match }
        guard configured == .hidPOS else { return nil }
        let unknown = summary.interfaces.filter {
            $0.interfaceClass == USBClassCode.hid && $0.hidReportDescriptor == nil && $0.inEndpoint(.interrupt) != nil
        }
        // A boot keyboard interface is the last choice: composite scanners put HID POS beside it.
        let isBootKeyboard = { (interface: USBInterfaceSummary) in
            interface.interfaceSubclass == USBClassCode.hidBootSubclass
                && interface.interfaceProtocol == USBClassCode.hidKeyboardProtocol
        }
        guard let interface = unknown.first(where: { !isBootKeyboard($0) }) ?? unknown.first,
            let inEndpoint = interface.inEndpoint(.interrupt)
        else { return nil }
        return ProtocolMatch(
            scannerProtocol: .hidPOS, interfaceNumber: interface.number, alternateSetting: interface.alternateSetting,
            inEndpoint: inEndpoint, outEndpoint: interface.outEndpoint(.interrupt), hidPOSLayout: nil,
            layoutFromDescriptor: false)
    }

    /// The transport's view of a device in the decoders' vocabulary (alternate setting 0 of the active
    /// configuration, which is all the transport lists).
    public static func summary(of device: USBDeviceInfo) -> USBDeviceSummary {
        USBDeviceSummary(
            vendorID: device.vendorID, productID: device.productID, deviceClass: device.deviceClass,
            interfaces: device.interfaces.map { interface in
                USBInterfaceSummary(
                    number: interface.number, alternateSetting: 0, interfaceClass: interface.interfaceClass,
                    interfaceSubclass: interface.interfaceSubclass, interfaceProtocol: interface.interfaceProtocol,
                    endpoints: interface.endpoints.map { endpoint in
                        USBEndpointSummary(
                            address: endpoint.address,
                            transferType: ScannerProtocols.USBTransferType(rawValue: endpoint.transferType.rawValue)
                                ?? .bulk,
                            maxPacketSize: Int(endpoint.maxPacketSize & 0x7FF))
                    },
                    hidReportDescriptor: interface.hidReportDescriptor)
            })
    }
}
