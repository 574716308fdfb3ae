#if canImport(Glibc)
import Glibc
#endif

/// Whether the agent could take a device now, as SPEC §2's `access` field reports it.
public enum USBAccess: String, Sendable, Codable {
    /// The node is readable and writable and no driver or program holds an interface.
    case ok
    /// This user may not open the device node: the udev rules are missing or the user is not in
    /// the `station-agent` group.
    case noPermission = "no-permission"
    /// Another program has claimed an interface (sysfs shows the `usbfs` driver on it).
    case busy
    /// A kernel driver (usbhid, cdc_acm, ftdi_sio) is bound: the agent will detach it when it claims.
    case driverBound = "driver-bound"
}

extension USBDeviceInfo {
    /// Works out `USBAccess` from the node's permissions and the drivers sysfs shows, without
    /// opening or claiming anything, so listing never disturbs a running agent or a scanner.
    public var access: USBAccess {
        if Glibc.access(deviceNode, R_OK | W_OK) != 0 && errno == EACCES { return .noPermission }
        let drivers = interfaces.compactMap(\.kernelDriver)
        if drivers.contains("usbfs") { return .busy }
        if !drivers.isEmpty { return .driverBound }
        return .ok
    }
}
