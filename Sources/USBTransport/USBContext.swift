internal import CLibUSB
public import Logging
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// A hotplug notification.
public enum USBHotplugEvent: Sendable {
    /// A device appeared (or, with enumeration, was already there when watching started).
    case arrived(USBDeviceInfo)
    /// A device went away. Only its position is known by then.
    case left(USBDeviceID)
}

/// A libusb context with its own event thread: the root of all USB access.
///
/// One per process. Enumeration reads descriptors (and strings from sysfs) without opening
/// devices; `open` gives a `USBDeviceHandle`; `hotplugEvents` reports arrivals and departures.
/// With no USB device file system at all (a container) `init` throws `USBError.noUSB`, a clear
/// state a caller can report, not a crash.
public final class USBContext: Sendable {
    /// libusb contexts are thread-safe; the pointer lives until `deinit` (after the event thread).
    nonisolated(unsafe) let raw: OpaquePointer
    /// The `libusb_context *`, for a library that works on the agent's context (libuvc's
    /// `uvc_init(&ctx, usb_ctx)`) and relies on this context's event thread. Valid while `self` lives.
    package var libusbContext: OpaquePointer { raw }
    private let events: EventThread
    private let hotplug = Mutex<HotplugState>(HotplugState())
    let logger: Logger

    private struct HotplugState {
        var handle: libusb_hotplug_callback_handle = 0
        var registered = false
        var nextToken = 0
        var subscribers: [Int: AsyncStream<USBHotplugEvent>.Continuation] = [:]
    }

    /// Creates the context and starts its event thread.
    /// - Throws: `USBError.noUSB` when the machine has no `/dev/bus/usb`; other `USBError`s from `libusb_init`.
    public init(logger: Logger = Logger(label: "station-agent.usb")) throws(USBError) {
        self.logger = logger
        var context: OpaquePointer?
        let result = libusb_init(&context)
        guard result == 0, let context else {
            if access("/dev/bus/usb", F_OK) != 0 {
                throw USBError(code: USBError.noUSBCode, operation: "start USB (libusb_init)")
            }
            throw USBError(code: result, operation: "start USB (libusb_init)")
        }
        self.raw = context
        self.events = EventThread(context: context)
        events.start()
    }

    /// Whether this libusb build reports hotplug events (Debian's does, through udev).
    public static var supportsHotplug: Bool { libusb_has_capability(UInt32(LIBUSB_CAP_HAS_HOTPLUG.rawValue)) != 0 }

    /// Whether the kernel's USB device nodes exist (`/dev/bus/usb`). Debian's libusb starts without
    /// them (it relies on udev), so a container or a board with no USB host still lists nothing
    /// rather than failing; callers say so in plain words.
    public static var hasUSBDeviceFileSystem: Bool { Glibc.access("/dev/bus/usb", F_OK) == 0 }

    /// libusb's version as "1.0.26".
    public static var libusbVersion: String {
        let version = libusb_get_version().pointee
        return "\(version.major).\(version.minor).\(version.micro)"
    }

    /// Every USB device libusb sees, hubs included, in bus/address order.
    public func devices() -> [USBDeviceInfo] {
        var list: UnsafeMutablePointer<OpaquePointer?>?
        let count = libusb_get_device_list(raw, &list)
        guard count >= 0, let list else {
            logger.warning("cannot list USB devices: \(USBError(code: Int32(count), operation: "list devices"))")
            return []
        }
        defer { libusb_free_device_list(list, 1) }
        let udev = UdevDirectory.snapshot()
        var result: [USBDeviceInfo] = []
        for index in 0..<Int(count) {
            guard let device = list[index] else { continue }
            if let info = Self.describe(device, udev: udev) { result.append(info) }
        }
        return result.sorted { ($0.id.bus, $0.id.address) < ($1.id.bus, $1.id.address) }
    }

    /// A fresh look at one device (its drivers and udev state change while it is plugged in), or
    /// nil when it is gone.
    public func device(_ id: USBDeviceID) -> USBDeviceInfo? {
        devices().first { $0.id == id }
    }

    /// Opens the device at `id`.
    /// - Throws: `USBError.noDevice` if it is gone, `.accessDenied` without permission on its node.
    public func open(_ id: USBDeviceID) throws(USBError) -> USBDeviceHandle {
        var list: UnsafeMutablePointer<OpaquePointer?>?
        let count = libusb_get_device_list(raw, &list)
        try check(Int32(truncatingIfNeeded: count), "list USB devices")
        guard let list else { throw USBError(code: LIBUSB_ERROR_NO_DEVICE.rawValue, operation: "open \(id)") }
        defer { libusb_free_device_list(list, 1) }
        for index in 0..<Int(count) {
            guard let device = list[index],
                libusb_get_bus_number(device) == id.bus, libusb_get_device_address(device) == id.address
            else { continue }
            var handle: OpaquePointer?
            try check(libusb_open(device, &handle), "open USB device at \(id)")
            guard let handle else { throw USBError(code: LIBUSB_ERROR_NO_DEVICE.rawValue, operation: "open \(id)") }
            return USBDeviceHandle(context: self, raw: handle, id: id)
        }
        throw USBError(code: LIBUSB_ERROR_NO_DEVICE.rawValue, operation: "open USB device at \(id)")
    }

    /// Arrivals and departures as they happen.
    ///
    /// - Parameter includeExisting: first report every device already present as `.arrived`, so
    ///   nothing can slip between a listing and the start of watching.
    /// - Throws: `USBError.notSupported` where libusb has no hotplug support.
    public func hotplugEvents(includeExisting: Bool = true) throws(USBError) -> AsyncStream<USBHotplugEvent> {
        guard Self.supportsHotplug else {
            throw USBError(code: LIBUSB_ERROR_NOT_SUPPORTED.rawValue, operation: "watch USB hotplug")
        }
        let (stream, continuation) = AsyncStream<USBHotplugEvent>.makeStream(bufferingPolicy: .unbounded)
        let token = hotplug.withLock { state -> Int in
            state.nextToken += 1
            state.subscribers[state.nextToken] = continuation
            return state.nextToken
        }
        continuation.onTermination = { [weak self] _ in
            _ = self?.hotplug.withLock { $0.subscribers.removeValue(forKey: token) }
        }
        // Register first, then list: a device arriving in between is reported twice (callers treat
        // arrivals idempotently), never missed.
        try registerHotplugOnce()
        if includeExisting {
            for device in devices() where !device.isHub { continuation.yield(.arrived(device)) }
        }
        return stream
    }

    private func registerHotplugOnce() throws(USBError) {
        let alreadyRegistered = hotplug.withLock { state -> Bool in
            defer { state.registered = true }
            return state.registered
        }
        if alreadyRegistered { return }
        var handle: libusb_hotplug_callback_handle = 0
        let events = Int32(LIBUSB_HOTPLUG_EVENT_DEVICE_ARRIVED.rawValue | LIBUSB_HOTPLUG_EVENT_DEVICE_LEFT.rawValue)
        // The context outlives the registration (deregistered in deinit), so no retain is needed.
        let result = libusb_hotplug_register_callback(
            raw, events, 0, LIBUSB_HOTPLUG_MATCH_ANY, LIBUSB_HOTPLUG_MATCH_ANY, LIBUSB_HOTPLUG_MATCH_ANY,
            hotplugTrampoline, Unmanaged.passUnretained(self).toOpaque(), &handle)
        if result != 0 {
            hotplug.withLock { $0.registered = false }
            throw USBError(code: result, operation: "register USB hotplug callback")
        }
        hotplug.withLock { $0.handle = handle }
    }

    fileprivate func deliverHotplug(device: OpaquePointer, arrived: Bool) {
        let event: USBHotplugEvent
        if arrived {
            guard let info = Self.describe(device, udev: UdevDirectory.snapshot()), !info.isHub else { return }
            event = .arrived(info)
        } else {
            event = .left(USBDeviceID(bus: libusb_get_bus_number(device), address: libusb_get_device_address(device)))
        }
        let subscribers = hotplug.withLock { Array($0.subscribers.values) }
        for subscriber in subscribers { subscriber.yield(event) }
    }

    /// Stops hotplug reporting and the event thread. Open handles must be closed first.
    public func shutdown() {
        let (handle, registered, subscribers) = hotplug.withLock { state in
            defer {
                state.registered = false
                state.subscribers = [:]
            }
            return (state.handle, state.registered, Array(state.subscribers.values))
        }
        if registered { libusb_hotplug_deregister_callback(raw, handle) }
        for subscriber in subscribers { subscriber.finish() }
        events.stop()
    }

    deinit {
        shutdown()
        libusb_exit(raw)
    }

    // MARK: Descriptors

    static func describe(_ device: OpaquePointer, udev: [USBDeviceID: UdevDeviceFacts]) -> USBDeviceInfo? {
        var descriptor = libusb_device_descriptor()
        guard libusb_get_device_descriptor(device, &descriptor) == 0 else { return nil }
        let id = USBDeviceID(bus: libusb_get_bus_number(device), address: libusb_get_device_address(device))
        let facts = udev[id]
        return USBDeviceInfo(
            id: id, port: portPath(device), vendorID: descriptor.idVendor, productID: descriptor.idProduct,
            deviceClass: descriptor.bDeviceClass, deviceSubclass: descriptor.bDeviceSubClass,
            deviceProtocol: descriptor.bDeviceProtocol, release: descriptor.bcdDevice,
            manufacturer: facts?.manufacturer, product: facts?.product, serial: facts?.serial,
            interfaces: interfaces(device, drivers: facts?.drivers ?? [:], reportDescriptors: facts?.reportDescriptors ?? [:]),
            udevInitialized: facts?.initialized ?? false)
    }

    /// The kernel's name for the port: `"<bus>-<port>.<port>..."`, or `"usb<bus>"` for a root hub.
    static func portPath(_ device: OpaquePointer) -> String {
        var ports = [UInt8](repeating: 0, count: 8)
        let bus = libusb_get_bus_number(device)
        let count = libusb_get_port_numbers(device, &ports, Int32(ports.count))
        guard count > 0 else { return "usb\(bus)" }
        return "\(bus)-" + ports[0..<Int(count)].map { String($0) }.joined(separator: ".")
    }

    static func interfaces(
        _ device: OpaquePointer, drivers: [UInt8: String], reportDescriptors: [UInt8: [UInt8]]
    ) -> [USBInterfaceInfo] {
        var config: UnsafeMutablePointer<libusb_config_descriptor>?
        if libusb_get_active_config_descriptor(device, &config) != 0 {
            // Unconfigured or unreadable active configuration: the first one is what we would set.
            guard libusb_get_config_descriptor(device, 0, &config) == 0 else { return [] }
        }
        guard let config else { return [] }
        defer { libusb_free_config_descriptor(config) }
        var result: [USBInterfaceInfo] = []
        for index in 0..<Int(config.pointee.bNumInterfaces) {
            let interface = config.pointee.interface[index]
            guard interface.num_altsetting > 0 else { continue }
            let setting = interface.altsetting[0]
            var endpoints: [USBEndpointInfo] = []
            for endpointIndex in 0..<Int(setting.bNumEndpoints) {
                let endpoint = setting.endpoint[endpointIndex]
                endpoints.append(
                    USBEndpointInfo(
                        address: endpoint.bEndpointAddress,
                        transferType: USBTransferType(rawValue: endpoint.bmAttributes & 0x3) ?? .bulk,
                        maxPacketSize: endpoint.wMaxPacketSize, interval: endpoint.bInterval))
            }
            let extra: [UInt8] =
                setting.extra_length > 0 && setting.extra != nil
                ? Array(UnsafeBufferPointer(start: setting.extra, count: Int(setting.extra_length))) : []
            result.append(
                USBInterfaceInfo(
                    number: setting.bInterfaceNumber, interfaceClass: setting.bInterfaceClass,
                    interfaceSubclass: setting.bInterfaceSubClass, interfaceProtocol: setting.bInterfaceProtocol,
                    endpoints: endpoints, kernelDriver: drivers[setting.bInterfaceNumber], extraDescriptors: extra,
                    hidReportDescriptor: reportDescriptors[setting.bInterfaceNumber]))
        }
        return result
    }
}

/// libusb calls this on the event thread (or, while registering with enumeration, on the caller's).
private func hotplugTrampoline(
    _ context: OpaquePointer?, _ device: OpaquePointer?, _ event: libusb_hotplug_event, _ userData: UnsafeMutableRawPointer?
) -> Int32 {
    guard let device, let userData else { return 0 }
    let owner = Unmanaged<USBContext>.fromOpaque(userData).takeUnretainedValue()
    owner.deliverHotplug(device: device, arrived: event == LIBUSB_HOTPLUG_EVENT_DEVICE_ARRIVED)
    return 0  // stay registered
}
