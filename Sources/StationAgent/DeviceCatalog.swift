public import USBTransport
public import ScannerProtocols

/// What the agent makes of one USB device: the row `station-agent devices` prints (SPEC §2).
public struct DeviceReport: Sendable, Equatable {
    public let info: USBDeviceInfo
    /// The configured device name or built-in profile name that adopts it, or nil.
    public let matched: String?
    /// How the agent would read it, or nil when it would not.
    public let scannerProtocol: ScannerProtocol?
    public let role: ScannerRole?
    public let access: USBAccess
    /// The interface the agent would claim.
    public let match: ProtocolMatch?
}

/// Decides, from descriptors alone, which devices the agent adopts and how.
///
/// Without configuration only built-in profiles' vendors are adopted (never an unknown keyboard);
/// the configured `[[devices]]` entries come with the service work and extend this.
public enum DeviceCatalog {
    public static func report(for info: USBDeviceInfo) -> DeviceReport {
        let summary = summary(of: info)
        let profile = info.isHub ? nil : BuiltInProfiles.profile(vendorID: info.vendorID)
        let match = profile == nil ? nil : ProtocolDetector.detect(summary, policy: .unconfigured)
        return DeviceReport(
            info: info, matched: match == nil ? nil : profile?.name, scannerProtocol: match?.scannerProtocol,
            role: match == nil ? nil : profile?.role, access: info.access, match: match)
    }

    /// The transport's view of a device in the decoders' vocabulary.
    public static func summary(of info: USBDeviceInfo) -> USBDeviceSummary {
        USBDeviceSummary(
            vendorID: info.vendorID, productID: info.productID, deviceClass: info.deviceClass,
            interfaces: info.interfaces.map { interface in
                USBInterfaceSummary(
                    number: interface.number, alternateSetting: 0, interfaceClass: interface.interfaceClass,
                    interfaceSubclass: interface.interfaceSubclass, interfaceProtocol: interface.interfaceProtocol,
                    endpoints: interface.endpoints.map { endpoint in
                        USBEndpointSummary(
                            address: endpoint.address,
                            transferType: ScannerProtocols.USBTransferType(rawValue: endpoint.transferType.rawValue) ?? .bulk,
                            maxPacketSize: Int(endpoint.maxPacketSize))
                    },
                    hidReportDescriptor: interface.hidReportDescriptor)
            })
    }
}
