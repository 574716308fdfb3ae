import SystemSupport
internal import CUdev
#if canImport(Glibc)
import Glibc
#endif

/// What sysfs (through libudev) says about a USB device that libusb does not: its strings as the
/// kernel read them at enumeration, the drivers bound to its interfaces, and whether udev has
/// finished processing it.
struct UdevDeviceFacts: Sendable {
    var manufacturer: String?
    var product: String?
    var serial: String?
    /// Interface number → bound kernel driver.
    var drivers: [UInt8: String] = [:]
    /// Interface number → HID report descriptor, from the HID child device usbhid creates.
    var reportDescriptors: [UInt8: [UInt8]] = [:]
    /// udev has run its rules for the device (permissions and group are final).
    var initialized: Bool = true
}

/// A snapshot of udev's view of every USB device, keyed by bus and address.
///
/// Taken once per enumeration: a handful of sysfs reads, far cheaper than opening devices.
enum UdevDirectory {
    static func snapshot() -> [USBDeviceID: UdevDeviceFacts] {
        guard let udev = udev_new() else { return [:] }
        defer { udev_unref(udev) }
        var result: [USBDeviceID: UdevDeviceFacts] = [:]
        var syspathToID: [String: USBDeviceID] = [:]
        var interfaceByPath: [String: (USBDeviceID, UInt8)] = [:]

        forEachDevice(udev, devtype: "usb_device") { device in
            guard let bus = attribute(device, "busnum").flatMap({ UInt8($0) }),
                let address = attribute(device, "devnum").flatMap({ UInt8($0) })
            else { return }
            let id = USBDeviceID(bus: bus, address: address)
            var facts = UdevDeviceFacts()
            facts.manufacturer = attribute(device, "manufacturer")
            facts.product = attribute(device, "product")
            facts.serial = attribute(device, "serial")
            facts.initialized = udev_device_get_is_initialized(device) != 0
            result[id] = facts
            if let path = udev_device_get_syspath(device) { syspathToID[String(cString: path)] = id }
        }
        forEachDevice(udev, devtype: "usb_interface") { interface in
            guard let parent = udev_device_get_parent_with_subsystem_devtype(interface, "usb", "usb_device"),
                let parentPath = udev_device_get_syspath(parent),
                let id = syspathToID[String(cString: parentPath)],
                let number = attribute(interface, "bInterfaceNumber").flatMap({ UInt8($0, radix: 16) })
            else { return }
            if let driver = udev_device_get_driver(interface) { result[id]?.drivers[number] = String(cString: driver) }
            interfaceByPath[String(cString: udev_device_get_syspath(interface))] = (id, number)
        }
        // While usbhid is bound, the kernel publishes each HID interface's report descriptor: HID POS
        // detection can read it without opening (or disturbing) the device.
        forEachDevice(udev, subsystem: "hid", devtype: nil) { hid in
            guard let parent = udev_device_get_parent_with_subsystem_devtype(hid, "usb", "usb_interface"),
                let parentPath = udev_device_get_syspath(parent),
                let (id, number) = interfaceByPath[String(cString: parentPath)],
                let path = udev_device_get_syspath(hid),
                let bytes = readFile(String(cString: path) + "/report_descriptor"), !bytes.isEmpty
            else { return }
            result[id]?.reportDescriptors[number] = bytes
        }
        return result
    }

    private static func readFile(_ path: String) -> [UInt8]? {
        try? SystemFile.read(path).get()
    }

    private static func forEachDevice(
        _ udev: OpaquePointer, subsystem: String = "usb", devtype: String?, _ body: (OpaquePointer) -> Void
    ) {
        guard let enumerate = udev_enumerate_new(udev) else { return }
        defer { udev_enumerate_unref(enumerate) }
        udev_enumerate_add_match_subsystem(enumerate, subsystem)
        if let devtype { udev_enumerate_add_match_property(enumerate, "DEVTYPE", devtype) }
        udev_enumerate_scan_devices(enumerate)
        var entry = udev_enumerate_get_list_entry(enumerate)
        while let current = entry {
            if let path = udev_list_entry_get_name(current),
                let device = udev_device_new_from_syspath(udev, path)
            {
                body(device)
                udev_device_unref(device)
            }
            entry = udev_list_entry_get_next(current)
        }
    }

    /// A sysfs attribute with surrounding white space (the kernel's trailing newline) removed.
    private static func attribute(_ device: OpaquePointer, _ name: String) -> String? {
        guard let value = udev_device_get_sysattr_value(device, name) else { return nil }
        let text = String(cString: value)
        let trimmed = text.drop(while: { $0.isWhitespace }).reversed().drop(while: { $0.isWhitespace })
        let result = String(trimmed.reversed())
        return result.isEmpty ? nil : result
    }
}
