internal import CUMockdev
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// A USB device played live by the test: it answers the usbdevfs ioctls libusb makes on its node
/// (claim, detach/attach of the kernel driver, URB submit/reap/discard), delivers input reports
/// when the test says so, records what the host wrote, and fails pending transfers on unplug.
///
/// Built from a fixture (umockdev text: the device paragraph with its `H: descriptors` and one
/// paragraph per interface with its `driver` link), so the descriptors the program reads and the
/// behaviour it meets come from one place.
public final class EmulatedUSBDevice: Sendable {
    public let sysfsPath: String
    public let deviceNode: String
    public let interfacePaths: [String]
    /// The umockdev text that `USBTestbed.plug` adds.
    public let description: String
    let descriptors: [UInt8]
    let strings: [UInt8: String]
    /// Interface number → sysfs path.
    let interfacePathByNumber: [UInt8: String]
    /// The GObject that receives the ioctls (`UMockdevIoctlBase`); it lives as long as the process.
    nonisolated(unsafe) let handler: UnsafeMutableRawPointer
    private let state: Mutex<State>
    /// What plays a device class beyond what this type does itself (a camera's streaming), if anything.
    let function: (any DeviceFunction)?
    /// Set once when plugged, read by the ioctl thread afterwards.
    private let testbed = Mutex<USBTestbed?>(nil)

    /// A control request the host sent, as the device saw it.
    public struct ControlRequest: Sendable, Equatable {
        public let requestType: UInt8
        public let request: UInt8
        public let value: UInt16
        public let index: UInt16
        public let data: [UInt8]
        public init(requestType: UInt8, request: UInt8, value: UInt16, index: UInt16, data: [UInt8]) {
            self.requestType = requestType
            self.request = request
            self.value = value
            self.index = index
            self.data = data
        }
    }

    /// Answers IN control requests the built-in descriptor handling does not: return the bytes to
    /// send, or nil to stall. Called on umockdev's ioctl thread.
    public typealias ControlResponder = @Sendable (ControlRequest, Int) -> [UInt8]?

    /// A submitted URB. Only umockdev's single ioctl thread touches one, and only while it sits in
    /// the device's locked state or is being reaped, so sharing it through the `Mutex` is safe.
    final class URB: @unchecked Sendable {
        let urbData: UnsafeMutablePointer<UMockdevIoctlData>
        let bufferData: UnsafeMutablePointer<UMockdevIoctlData>?
        let type: UInt8
        let endpoint: UInt8
        let length: Int
        let clientAddress: UInt
        /// Which open file (umockdev client) submitted it: only that one reaps it, as with usbfs.
        let owner: UInt
        var status: Int32 = 0
        var reply: [UInt8] = []
        /// For control transfers the data stage sits after the 8-byte setup packet.
        var replyOffset = 0
        var actualLength = 0
        /// Isochronous URBs: how many packets (`number_of_packets`), and what each packet received
        /// (`iso_frame_desc[i].actual_length`), filled by a ``DeviceFunction``.
        var packetCount = 0
        var packetLengths: [Int] = []

        init(urbData: UnsafeMutablePointer<UMockdevIoctlData>, bufferData: UnsafeMutablePointer<UMockdevIoctlData>?,
             type: UInt8, endpoint: UInt8, length: Int, owner: UInt) {
            self.owner = owner
            self.urbData = urbData
            self.bufferData = bufferData
            self.type = type
            self.endpoint = endpoint
            self.length = length
            self.clientAddress = urbData.pointee.client_addr
        }

        var buffer: UnsafeBufferPointer<UInt8> {
            guard let bufferData, let data = bufferData.pointee.data else { return UnsafeBufferPointer(start: nil, count: 0) }
            return UnsafeBufferPointer(start: data, count: Int(bufferData.pointee.data_len))
        }

        deinit {
            umockdev_ioctl_data_unref(urbData)
            if let bufferData { umockdev_ioctl_data_unref(bufferData) }
        }
    }

    /// One queued IN report and the earliest monotonic time (ns) the device may hand it over.
    struct QueuedInput {
        var bytes: [UInt8]
        var notBefore: UInt64
    }

    struct State {
        var drivers: [UInt8: String]
        var originalDrivers: [UInt8: String]
        var claimed: Set<UInt8> = []
        /// The open file (umockdev client) that claimed each interface: closing it releases them.
        var claimOwners: [UInt8: UInt] = [:]
        var heldElsewhere: Set<UInt8> = []
        var pendingIn: [UInt8: [URB]] = [:]
        var completed: [URB] = []
        var deviceQueue: [UInt8: [QueuedInput]] = [:]
        var written: [UInt8: [[UInt8]]] = [:]
        var controlLog: [ControlRequest] = []
        var events: [String] = []
        var unplugged = false
        var responder: ControlResponder?
        var stallRule: (@Sendable (ControlRequest) -> Bool)?
        var reportDescriptors: [UInt8: [UInt8]]
        var delivered = 0
        /// A one-time stall of the host's reaping: after this many reports were delivered, for so many ns.
        var reapStall: (afterDelivered: Int, nanoseconds: UInt64)?
    }

    /// Loads a fixture, optionally moved to another port of the same hub and another address (to
    /// plug a second identical device).
    public convenience init(fixture path: String, port: String? = nil, address: UInt8? = nil) throws(EmulatorError) {
        try self.init(description: try UMockdevDescription.read(path), port: port, address: address)
    }

    public convenience init(description original: String, port newPort: String? = nil, address: UInt8? = nil) throws(EmulatorError) {
        try self.init(description: original, port: newPort, address: address, function: nil)
    }

    /// A device whose class requests and streaming endpoints `function` plays (``EmulatedUVCCamera``).
    init(
        description original: String, port newPort: String? = nil, address: UInt8? = nil, function: (any DeviceFunction)?
    ) throws(EmulatorError) {
        self.function = function
        let text = Self.relocate(original, port: newPort, address: address)
        var devicePath: String?
        var node: String?
        var descriptorBytes: [UInt8] = []
        var strings: [UInt8: String] = [:]
        var interfaces: [(path: String, number: UInt8, driver: String?)] = []
        var reportDescriptors: [UInt8: [UInt8]] = [:]
        var hidPaths: [String] = []
        for paragraph in text.split(separator: "\n\n", omittingEmptySubsequences: true) {
            var fields: [(String, String)] = []
            for line in paragraph.split(separator: "\n") where line.count > 3 {
                fields.append((String(line.prefix(1)), String(line.dropFirst(3))))
            }
            let path = fields.first { $0.0 == "P" }?.1
            let properties = fields.filter { $0.0 == "E" }.map(\.1)
            let attributes = Dictionary(
                fields.filter { $0.0 == "A" }.map { field -> (String, String) in
                    let parts = field.1.split(separator: "=", maxSplits: 1)
                    let value = parts.count > 1 ? String(parts[1]) : ""
                    return (String(parts[0]), value.hasSuffix("\\n") ? String(value.dropLast(2)) : value)
                }, uniquingKeysWith: { first, _ in first })
            if properties.contains("DEVTYPE=usb_device"), devicePath == nil {
                devicePath = path
                node = fields.first { $0.0 == "N" }.map { "/dev/" + $0.1 }
                if let hex = fields.first(where: { $0.0 == "H" && $0.1.hasPrefix("descriptors=") })?.1.dropFirst("descriptors=".count) {
                    descriptorBytes = Self.bytes(fromHex: String(hex))
                }
                // String indices as the device descriptor names them.
                if descriptorBytes.count >= 18 {
                    for (index, key) in [(descriptorBytes[14], "manufacturer"), (descriptorBytes[15], "product"), (descriptorBytes[16], "serial")]
                    where index != 0 {
                        if let value = attributes[key] { strings[index] = value }
                    }
                }
            } else if properties.contains("SUBSYSTEM=hid"), let path,
                let hex = fields.first(where: { $0.0 == "H" && $0.1.hasPrefix("report_descriptor=") })?.1
                    .dropFirst("report_descriptor=".count)
            {
                // The HID child usbhid creates: its interface is the parent directory `<port>:1.N`.
                let parent = path.split(separator: "/").dropLast().last ?? ""
                if let dot = parent.lastIndex(of: "."), let number = UInt8(parent[parent.index(after: dot)...]) {
                    reportDescriptors[number] = Self.bytes(fromHex: String(hex))
                }
                hidPaths.append(path)
            } else if properties.contains("DEVTYPE=usb_interface"), let path,
                let number = attributes["bInterfaceNumber"].flatMap({ UInt8($0, radix: 16) })
            {
                let driver = fields.first { $0.0 == "L" && $0.1.hasPrefix("driver=") }
                    .map { String($0.1.split(separator: "/").last ?? "") }
                interfaces.append((path, number, driver))
            }
        }
        guard let devicePath, let node, descriptorBytes.count >= 18 else {
            throw EmulatorError("the description has no usb_device paragraph with N: and H: descriptors")
        }
        self.sysfsPath = devicePath
        self.deviceNode = node
        self.description = text
        self.descriptors = descriptorBytes
        self.strings = strings
        // Children first: removal goes from the leaves up, as the kernel's does.
        self.interfacePaths = hidPaths + interfaces.map(\.path)
        self.interfacePathByNumber = Dictionary(interfaces.map { ($0.number, $0.path) }, uniquingKeysWith: { first, _ in first })
        let drivers = Dictionary(interfaces.compactMap { item in item.driver.map { (item.number, $0) } }, uniquingKeysWith: { first, _ in first })
        self.state = Mutex(State(drivers: drivers, originalDrivers: drivers, reportDescriptors: reportDescriptors))
        guard let base = umockdev_ioctl_base_new() else { throw EmulatorError("umockdev_ioctl_base_new failed") }
        self.handler = UnsafeMutableRawPointer(base)
        // The handler may be called until the process ends: it holds the device for good.
        let context = Unmanaged.passRetained(self).toOpaque()
        station_g_signal_connect(handler, "handle-ioctl", unsafeBitCast(handleIoctlTrampoline, to: GCallback.self), context)
        station_g_signal_connect(handler, "client-vanished", unsafeBitCast(clientVanishedTrampoline, to: GCallback.self), context)
    }

    func attach(to testbed: USBTestbed) {
        self.testbed.withLock { $0 = testbed }
    }

    // MARK: What the test does

    /// Queues input reports on an IN endpoint; each completes one transfer the host has pending
    /// (as a device answers one poll), in order.
    public func deliver(endpoint: UInt8, _ reports: [UInt8]...) {
        deliver(endpoint: endpoint, reports: reports)
    }

    public func deliver(endpoint: UInt8, reports: [[UInt8]]) {
        state.withLock { $0.deviceQueue[endpoint, default: []].append(contentsOf: reports.map { QueuedInput(bytes: $0, notBefore: 0) }) }
    }

    /// Queues input reports that the device hands over no faster than one per `interval`, as a
    /// scanner does when the host polls it every bInterval (8 ms for a Honeywell keyboard wedge,
    /// 1 ms in "turbo" mode).
    ///
    /// The schedule is kept on the device side (each report has a not-before time, checked when the
    /// host reaps), so the pace does not depend on how promptly the test's own task is scheduled: a
    /// slow host sees reports bunch up, as on real hardware, never spread out. The check is exact
    /// because libusb polls the emulated node (a regular file, always "ready") continuously while a
    /// transfer is pending. The first report is due `interval` after the last one already scheduled
    /// on this endpoint, or now.
    public func deliver(endpoint: UInt8, reports: [[UInt8]], interval: Duration) {
        let step = UInt64(interval.components.seconds) * 1_000_000_000
            + UInt64(interval.components.attoseconds / 1_000_000_000)
        let now = monotonicNanoseconds()
        state.withLock { state in
            var due = state.deviceQueue[endpoint]?.last.map { max($0.notBefore + step, now) } ?? now
            for report in reports {
                state.deviceQueue[endpoint, default: []].append(QueuedInput(bytes: report, notBefore: due))
                due += step
            }
        }
    }

    /// Makes the host's libusb event thread stall once, for `duration`, in the first reap after
    /// `afterDelivered` reports have been delivered (as a busy box that does not schedule it): reports
    /// that fall due meanwhile complete on the device side and wait to be reaped, then arrive together.
    public func stallReaping(afterDelivered: Int, for duration: Duration) {
        let nanoseconds = UInt64(duration.components.seconds) * 1_000_000_000
            + UInt64(duration.components.attoseconds / 1_000_000_000)
        state.withLock { $0.reapStall = (afterDelivered, nanoseconds) }
    }

    /// Reports queued but not yet polled by the host.
    public var undeliveredReports: Int { state.withLock { $0.deviceQueue.values.reduce(0) { $0 + $1.count } } }
    /// Reports the host has polled so far.
    public var deliveredReports: Int { state.withLock { $0.delivered } }
    /// IN transfers the host has queued and not had answered.
    public var pendingInputTransfers: Int { state.withLock { $0.pendingIn.values.reduce(0) { $0 + $1.count } } }
    /// Transfers completed (or failed) but not yet reaped by the host.
    public var transfersAwaitingReap: Int {
        state.withLock { $0.completed.count + ($0.unplugged ? $0.pendingIn.values.reduce(0) { $0 + $1.count } : 0) }
    }
    /// What the host wrote to each OUT endpoint, one element per transfer.
    public var written: [UInt8: [[UInt8]]] { state.withLock { $0.written } }
    /// Control requests received, in order.
    public var controlRequests: [ControlRequest] { state.withLock { $0.controlLog } }
    /// What happened to the device, in order: `detach 0`, `claim 0`, `release 0`, `attach 0`,
    /// `discard 0x81`, `reset`.
    public var events: [String] { state.withLock { $0.events } }
    /// The kernel driver bound to an interface now (`usbfs` while a program holds it).
    public func kernelDriver(interface: UInt8) -> String? { state.withLock { $0.drivers[interface] } }
    public var claimedInterfaces: Set<UInt8> { state.withLock { $0.claimed } }

    /// Makes an interface look held by another program: claims fail with EBUSY.
    public func holdElsewhere(interface: UInt8) {
        state.withLock {
            $0.heldElsewhere.insert(interface)
            $0.drivers[interface] = "usbfs"
        }
        updateDriverLink(interface: interface, driver: "usbfs")
    }

    /// Lets go of an interface `holdElsewhere` took, as the other program exiting would.
    public func releaseHold(interface: UInt8) {
        let original = state.withLock { state -> String? in
            guard state.heldElsewhere.remove(interface) != nil else { return nil }
            state.drivers[interface] = nil
            return state.originalDrivers[interface]
        }
        if original != nil { updateDriverLink(interface: interface, driver: nil) }
    }

    /// Serves `HID GET_DESCRIPTOR(Report)` for an interface (by default the fixture's
    /// `report_descriptor`).
    public func setReportDescriptor(_ bytes: [UInt8], interface: UInt8 = 0) {
        state.withLock { $0.reportDescriptors[interface] = bytes }
    }

    /// Answers vendor/class IN control requests (OUT requests are accepted and logged anyway).
    public func setControlResponder(_ responder: @escaping ControlResponder) {
        state.withLock { $0.responder = responder }
    }

    /// Stalls every control request (IN or OUT) for which `rule` returns true, as a device that
    /// does not implement a request answers with a STALL handshake (libusb: `LIBUSB_ERROR_PIPE`).
    /// Stalled requests are still logged in ``controlRequests``. Pass nil to stop stalling.
    public func stallControlRequests(where rule: (@Sendable (ControlRequest) -> Bool)?) {
        state.withLock { $0.stallRule = rule }
    }

    func markUnplugged() {
        state.withLock { $0.unplugged = true }
    }

    // MARK: The ioctl side (umockdev's worker thread)

    fileprivate func handle(_ client: UnsafeMutablePointer<UMockdevIoctlClient>) -> Bool {
        let request = umockdev_ioctl_client_get_request(client)
        guard let arg = umockdev_ioctl_client_get_arg(client) else {
            umockdev_ioctl_client_complete(client, -1, EINVAL)
            return true
        }
        let (result, error) = dispatch(request: request, arg: arg, client: UInt(bitPattern: client))
        umockdev_ioctl_client_complete(client, result, error)
        return true
    }

    /// As the kernel's usbfs (`usbdev_do_ioctl`): once the device is gone only reaping what was
    /// submitted still works; everything else, discards, claims and driver changes included, is
    /// ENODEV (libusb then takes a cancelled transfer as ready to reap, with no-device).
    private static let answeredAfterUnplug: Set<UInt> = [station_usbdevfs_reapurb(), station_usbdevfs_reapurbndelay()]

    private func dispatch(request: UInt, arg: UnsafeMutablePointer<UMockdevIoctlData>, client: UInt) -> (Int, Int32) {
        if !Self.answeredAfterUnplug.contains(request), state.withLock({ $0.unplugged }) { return (-1, ENODEV) }
        switch request {
        case station_usbdevfs_get_capabilities():
            guard let data = resolve(arg, 4) else { return (-1, EFAULT) }
            defer { umockdev_ioctl_data_unref(data) }
            // BULK_CONTINUATION | NO_PACKET_SIZE_LIM | BULK_SCATTER_GATHER | REAP_AFTER_DISCONNECT, as a
            // modern kernel on xHCI: libusb submits a bulk transfer as one URB, never split at 16 KB (a
            // camera's bulk payload of 32 KB is one transfer, as the device sends it).
            write(UInt32(0x02 | 0x04 | 0x08 | 0x10), to: data, at: 0)
            return (0, 0)
        case station_usbdevfs_claiminterface():
            guard let interface = readArgument(arg, as: UInt32.self).map(UInt8.init(truncatingIfNeeded:)) else { return (-1, EFAULT) }
            return claim(interface, client: client)
        case station_usbdevfs_releaseinterface():
            guard let interface = readArgument(arg, as: UInt32.self).map(UInt8.init(truncatingIfNeeded:)) else { return (-1, EFAULT) }
            return release(interface)
        case station_usbdevfs_getdriver():
            guard let data = resolve(arg, 260) else { return (-1, EFAULT) }
            defer { umockdev_ioctl_data_unref(data) }
            let interface = UInt8(truncatingIfNeeded: read(UInt32.self, from: data, at: 0))
            guard let driver = state.withLock({ $0.drivers[interface] }) else { return (-1, ENODATA) }
            var name = Array(driver.utf8.prefix(255))
            name.append(0)
            umockdev_ioctl_data_update(data, 4, &name, Int32(name.count))
            return (0, 0)
        case station_usbdevfs_ioctl():
            guard let data = resolve(arg, 16) else { return (-1, EFAULT) }
            defer { umockdev_ioctl_data_unref(data) }
            let interface = UInt8(truncatingIfNeeded: read(Int32.self, from: data, at: 0))
            let code = UInt(UInt32(bitPattern: read(Int32.self, from: data, at: 4)))
            if code == station_usbdevfs_disconnect() { return detachDriver(interface) }
            if code == station_usbdevfs_connect() { return attachDriver(interface) }
            return (-1, ENOTTY)
        case station_usbdevfs_setinterface():
            // struct usbdevfs_setinterface { unsigned int interface; unsigned int altsetting; }
            guard let data = resolve(arg, 8) else { return (-1, EFAULT) }
            defer { umockdev_ioctl_data_unref(data) }
            let interface = UInt8(truncatingIfNeeded: read(UInt32.self, from: data, at: 0))
            let alternate = UInt8(truncatingIfNeeded: read(UInt32.self, from: data, at: 4))
            state.withLock { $0.events.append("altsetting \(interface) \(alternate)") }
            if let function { return function.setInterface(interface, alternate: alternate) ? (0, 0) : (-1, EINVAL) }
            return (0, 0)
        case station_usbdevfs_setconfiguration(), station_usbdevfs_clear_halt():
            return state.withLock { $0.unplugged } ? (-1, ENODEV) : (0, 0)
        case station_usbdevfs_reset():
            state.withLock { $0.events.append("reset") }
            return (0, 0)
        case station_usbdevfs_submiturb():
            return submit(arg, client: client)
        case station_usbdevfs_discardurb():
            let address = arg.pointee.data.map { UnsafeRawPointer($0).loadUnaligned(as: UInt.self) } ?? 0
            return discard(address, client: client)
        case station_usbdevfs_reapurb(), station_usbdevfs_reapurbndelay():
            return reap(arg, client: client)
        default:
            // DISCONNECT_CLAIM and anything else: as an old kernel would say, "not supported".
            return (-1, ENOTTY)
        }
    }

    private func claim(_ interface: UInt8, client: UInt) -> (Int, Int32) {
        let outcome: (Int, Int32) = state.withLock { state in
            if state.unplugged { return (-1, ENODEV) }
            if state.claimed.contains(interface) { return (0, 0) }
            if state.heldElsewhere.contains(interface) { return (-1, EBUSY) }
            if let driver = state.drivers[interface], driver != "usbfs" { return (-1, EBUSY) }
            state.claimed.insert(interface)
            state.claimOwners[interface] = client
            state.drivers[interface] = "usbfs"
            state.events.append("claim \(interface)")
            return (0, 0)
        }
        if outcome.0 == 0 { updateDriverLink(interface: interface, driver: "usbfs") }
        return outcome
    }

    private func release(_ interface: UInt8) -> (Int, Int32) {
        let released = state.withLock { state -> Bool in
            guard state.claimed.remove(interface) != nil else { return false }
            state.claimOwners[interface] = nil
            state.drivers[interface] = nil
            state.events.append("release \(interface)")
            return true
        }
        if released {
            function?.released(interface: interface)
            updateDriverLink(interface: interface, driver: nil)
        }
        return released ? (0, 0) : (-1, EINVAL)
    }

    /// Drivers that bind a device's interfaces together, as cdc_acm takes the data interface with
    /// the control interface: unbinding one frees both, and binding needs all of them free.
    /// uvcvideo binds the video control interface and claims the streaming ones with it.
    static let multiInterfaceDrivers: Set<String> = ["cdc_acm", "uvcvideo"]

    /// The interfaces a driver bound to `interface` holds together with it.
    private func boundTogether(_ interface: UInt8, _ state: State) -> [UInt8] {
        guard let driver = state.originalDrivers[interface], Self.multiInterfaceDrivers.contains(driver) else { return [interface] }
        return state.originalDrivers.filter { $0.value == driver }.keys.sorted()
    }

    private func detachDriver(_ interface: UInt8) -> (Int, Int32) {
        let freed = state.withLock { state -> [UInt8] in
            guard let driver = state.drivers[interface], driver != "usbfs" else { return [] }
            let group = boundTogether(interface, state).filter { state.drivers[$0] == driver }
            for member in group { state.drivers[member] = nil }
            state.events.append("detach \(interface)")
            return group
        }
        for member in freed { updateDriverLink(interface: member, driver: nil) }
        return freed.isEmpty ? (-1, ENODATA) : (0, 0)
    }

    private func attachDriver(_ interface: UInt8) -> (Int, Int32) {
        let bound = state.withLock { state -> (String, [UInt8])? in
            guard state.drivers[interface] == nil, let original = state.originalDrivers[interface] else { return nil }
            let group = boundTogether(interface, state)
            // The driver's probe fails (EBUSY) while a program still holds one of its interfaces.
            guard group.allSatisfy({ state.drivers[$0] == nil }) else {
                state.events.append("attach \(interface) failed: busy")
                return nil
            }
            for member in group { state.drivers[member] = original }
            state.events.append("attach \(interface)")
            return (original, group)
        }
        guard let (driver, group) = bound else { return (-1, EBUSY) }
        for member in group { updateDriverLink(interface: member, driver: driver) }
        return (0, 0)
    }

    private func updateDriverLink(interface: UInt8, driver: String?) {
        guard let path = interfacePathByNumber[interface], let testbed = testbed.withLock({ $0 }) else { return }
        // Once unplugged the device's sysfs is being (or has been) removed, and a device plugged
        // later at the same path is not this one.
        testbed.setDriverLink(interfacePath: path, driver: driver) { !state.withLock { $0.unplugged } }
    }

    private func submit(_ arg: UnsafeMutablePointer<UMockdevIoctlData>, client: UInt) -> (Int, Int32) {
        if state.withLock({ $0.unplugged }) { return (-1, ENODEV) }
        // struct usbdevfs_urb (x86_64/aarch64): type@0, endpoint@1, status@4, buffer@16,
        // buffer_length@24, actual_length@28.
        guard let urbData = resolve(arg, 56) else { return (-1, EFAULT) }
        let type = read(UInt8.self, from: urbData, at: 0)
        let endpoint = read(UInt8.self, from: urbData, at: 1)
        let length = Int(read(Int32.self, from: urbData, at: 24))
        var error: UnsafeMutablePointer<GError>?
        let bufferData = length > 0 ? umockdev_ioctl_data_resolve(urbData, 16, gsize(length), &error) : nil
        if let error { g_error_free(error) }
        let urb = URB(urbData: urbData, bufferData: bufferData, type: type, endpoint: endpoint, length: length, owner: client)
        if type == 0 {
            // number_of_packets@36; the packet descriptors follow the 56-byte header (12 bytes each).
            urb.packetCount = Int(read(Int32.self, from: urbData, at: 36))
        }
        if type == 2 {
            answerControl(urb)
            state.withLock { $0.completed.append(urb) }
        } else if endpoint & 0x80 == 0 {
            let bytes = Array(urb.buffer)
            urb.actualLength = bytes.count
            state.withLock {
                $0.written[endpoint, default: []].append(bytes)
                $0.completed.append(urb)
            }
        } else {
            state.withLock { $0.pendingIn[endpoint, default: []].append(urb) }
        }
        return (0, 0)
    }

    private func answerControl(_ urb: URB) {
        let setup = Array(urb.buffer.prefix(8))
        guard setup.count == 8 else {
            urb.status = -EINVAL
            return
        }
        let request = ControlRequest(
            requestType: setup[0], request: setup[1], value: UInt16(setup[2]) | UInt16(setup[3]) << 8,
            index: UInt16(setup[4]) | UInt16(setup[5]) << 8, data: Array(urb.buffer.dropFirst(8)))
        let wLength = Int(UInt16(setup[6]) | UInt16(setup[7]) << 8)
        let (responder, stallRule) = state.withLock { state -> (ControlResponder?, (@Sendable (ControlRequest) -> Bool)?) in
            state.controlLog.append(request)
            return (state.responder, state.stallRule)
        }
        urb.replyOffset = 8
        if let stallRule, stallRule(request) {
            urb.status = -EPIPE
            return
        }
        switch function?.control(request, length: wLength) {
        case .stall?:
            urb.status = -EPIPE
            return
        case .data(let reply)?:
            if request.requestType & 0x80 == 0 {
                urb.actualLength = wLength
            } else {
                urb.reply = Array(reply.prefix(wLength))
                urb.actualLength = urb.reply.count
            }
            return
        case nil:
            break
        }
        if request.requestType & 0x80 == 0 {
            urb.actualLength = wLength
            return
        }
        guard let reply = standardReply(request) ?? responder?(request, wLength) else {
            urb.status = -EPIPE  // stall
            return
        }
        urb.reply = Array(reply.prefix(wLength))
        urb.actualLength = urb.reply.count
    }

    /// GET_DESCRIPTOR for device, configuration, string and HID report descriptors.
    private func standardReply(_ request: ControlRequest) -> [UInt8]? {
        guard request.request == 6 else { return nil }
        let kind = UInt8(request.value >> 8)
        let index = UInt8(request.value & 0xff)
        switch (request.requestType, kind) {
        case (0x80, 1): return Array(descriptors.prefix(18))
        case (0x80, 2): return Array(descriptors.dropFirst(18))
        case (0x80, 3):
            if index == 0 { return [4, 3, 0x09, 0x04] }
            guard let text = strings[index] else { return nil }
            let units = Array(text.utf16)
            var bytes: [UInt8] = [UInt8(2 + units.count * 2), 3]
            for unit in units { bytes += [UInt8(unit & 0xff), UInt8(unit >> 8)] }
            return bytes
        case (0x81, 0x22):
            return state.withLock { $0.reportDescriptors[UInt8(truncatingIfNeeded: request.index)] }
        default:
            return nil
        }
    }

    private func discard(_ address: UInt, client: UInt) -> (Int, Int32) {
        state.withLock { state in
            for (endpoint, urbs) in state.pendingIn {
                if let position = urbs.firstIndex(where: { $0.clientAddress == address && $0.owner == client }) {
                    let urb = state.pendingIn[endpoint]!.remove(at: position)
                    urb.status = -ENOENT
                    state.completed.append(urb)
                    state.events.append("discard " + hex(endpoint))
                    return (0, 0)
                }
            }
            return (-1, EINVAL)
        }
    }

    private func reap(_ arg: UnsafeMutablePointer<UMockdevIoctlData>, client: UInt) -> (Int, Int32) {
        let stall = state.withLock { state -> UInt64? in
            guard let stall = state.reapStall, state.delivered >= stall.afterDelivered else { return nil }
            state.reapStall = nil
            return stall.nanoseconds
        }
        if let stall {
            // The caller (libusb's event thread, in its ioctl) waits on this thread's answer.
            var request = timespec(tv_sec: Int(stall / 1_000_000_000), tv_nsec: Int(stall % 1_000_000_000))
            var remaining = timespec()
            while nanosleep(&request, &remaining) != 0 && errno == EINTR { request = remaining }
        }
        let next = state.withLock { state -> URB? in
            // Answer polls: each queued report completes the oldest pending transfer of its endpoint,
            // once its paced delivery time (if any) has come.
            let now = monotonicNanoseconds()
            for endpoint in state.deviceQueue.keys {
                while var pending = state.pendingIn[endpoint], !pending.isEmpty,
                    var queue = state.deviceQueue[endpoint], let next = queue.first, next.notBefore <= now
                {
                    let urb = pending.removeFirst()
                    let report = queue.removeFirst().bytes
                    state.pendingIn[endpoint] = pending
                    state.deviceQueue[endpoint] = queue
                    urb.reply = Array(report.prefix(urb.length))
                    urb.actualLength = urb.reply.count
                    urb.status = report.count > urb.length ? -EOVERFLOW : 0
                    state.completed.append(urb)
                    state.delivered += 1
                }
            }
            if let function, !state.unplugged {
                for endpoint in function.streamingEndpoints {
                    while var pending = state.pendingIn[endpoint], let urb = pending.first, function.complete(urb, now: now) {
                        pending.removeFirst()
                        state.pendingIn[endpoint] = pending
                        state.completed.append(urb)
                        state.delivered += 1
                    }
                }
            }
            if state.unplugged {
                for endpoint in state.pendingIn.keys {
                    for urb in state.pendingIn[endpoint]! {
                        urb.status = -ENODEV
                        state.completed.append(urb)
                    }
                    state.pendingIn[endpoint] = []
                }
            }
            guard let position = state.completed.firstIndex(where: { $0.owner == client }) else { return nil }
            return state.completed.remove(at: position)
        }
        guard let urb = next else {
            if state.withLock({ $0.unplugged }) { return (-1, ENODEV) }
            // The node is a plain file, so libusb polls it without pause: a function with nothing due
            // holds the host's event thread here briefly instead of letting it spin.
            function?.idle(now: monotonicNanoseconds())
            return (-1, EAGAIN)
        }
        if urb.type == 0, urb.packetCount > 0 { return reapIsochronous(urb, arg) }
        if let bufferData = urb.bufferData, !urb.reply.isEmpty {
            umockdev_ioctl_data_update(bufferData, gsize(urb.replyOffset), &urb.reply, Int32(urb.reply.count))
        }
        write(urb.status, to: urb.urbData, at: 4)
        write(Int32(urb.actualLength), to: urb.urbData, at: 28)
        guard let slot = resolve(arg, MemoryLayout<UInt>.size) else { return (-1, EFAULT) }
        defer { umockdev_ioctl_data_unref(slot) }
        umockdev_ioctl_data_set_ptr(slot, 0, urb.urbData)
        return (0, 0)
    }

    /// Hands back an isochronous URB with its packet descriptors, which follow the 56-byte header
    /// (`struct usbdevfs_iso_packet_desc`: length, actual_length, status; 12 bytes each).
    ///
    /// umockdev resolved only the 56-byte header at submit and resolves a pointer only once, so the
    /// whole URB is resolved afresh through the host's reap slot: the slot is pointed at the URB, the
    /// URB (header and descriptors) is read from the host, updated, and written back when the reap
    /// completes, and the slot then holds the URB's own address, as the host expects.
    private func reapIsochronous(_ urb: URB, _ arg: UnsafeMutablePointer<UMockdevIoctlData>) -> (Int, Int32) {
        guard let slot = resolve(arg, MemoryLayout<UInt>.size) else { return (-1, EFAULT) }
        defer { umockdev_ioctl_data_unref(slot) }
        write(urb.clientAddress, to: slot, at: 0)
        let size = 56 + 12 * urb.packetCount
        var error: UnsafeMutablePointer<GError>?
        guard let whole = umockdev_ioctl_data_resolve(slot, 0, gsize(size), &error) else {
            if let error { g_error_free(error) }
            return (-1, EFAULT)
        }
        defer { umockdev_ioctl_data_unref(whole) }
        if let bufferData = urb.bufferData {
            if !urb.reply.isEmpty {
                umockdev_ioctl_data_update(bufferData, 0, &urb.reply, Int32(urb.reply.count))
            }
            umockdev_ioctl_data_set_ptr(whole, 16, bufferData)
        }
        let ok = urb.status == 0
        var total = 0
        for index in 0..<urb.packetCount {
            let received = ok && index < urb.packetLengths.count ? urb.packetLengths[index] : 0
            total += received
            write(Int32(received), to: whole, at: 56 + 12 * index + 4)
            write(Int32(0), to: whole, at: 56 + 12 * index + 8)
        }
        write(urb.status, to: whole, at: 4)
        write(Int32(total), to: whole, at: 28)
        write(Int32(0), to: whole, at: 40)  // error_count
        return (0, 0)
    }

    fileprivate func clientVanished(_ client: UInt) {
        // The program closed its file on the node: the kernel drops that file's claims and URBs
        // (another open file of the same device, as libuvc opens briefly to read strings, keeps its own).
        let released = state.withLock { state -> [UInt8] in
            let claimed = state.claimOwners.filter { $0.value == client }.map(\.key)
            for interface in claimed {
                state.drivers[interface] = nil
                state.claimed.remove(interface)
                state.claimOwners[interface] = nil
            }
            state.pendingIn = state.pendingIn.mapValues { $0.filter { $0.owner != client } }
            state.completed.removeAll { $0.owner == client }
            return claimed
        }
        for interface in released {
            function?.released(interface: interface)
            updateDriverLink(interface: interface, driver: nil)
        }
    }

    // MARK: Helpers

    private func resolve(_ data: UnsafeMutablePointer<UMockdevIoctlData>, _ length: Int) -> UnsafeMutablePointer<UMockdevIoctlData>? {
        var error: UnsafeMutablePointer<GError>?
        let resolved = umockdev_ioctl_data_resolve(data, 0, gsize(length), &error)
        if let error { g_error_free(error) }
        return resolved
    }

    private func readArgument<T: FixedWidthInteger>(_ arg: UnsafeMutablePointer<UMockdevIoctlData>, as type: T.Type) -> T? {
        guard let data = resolve(arg, MemoryLayout<T>.size) else { return nil }
        defer { umockdev_ioctl_data_unref(data) }
        return read(T.self, from: data, at: 0)
    }

    private func read<T: FixedWidthInteger>(_ type: T.Type, from data: UnsafeMutablePointer<UMockdevIoctlData>, at offset: Int) -> T {
        guard let bytes = data.pointee.data, Int(data.pointee.data_len) >= offset + MemoryLayout<T>.size else { return 0 }
        return UnsafeRawPointer(bytes + offset).loadUnaligned(as: T.self)
    }

    private func write<T: FixedWidthInteger>(_ value: T, to data: UnsafeMutablePointer<UMockdevIoctlData>, at offset: Int) {
        var copy = value
        withUnsafeBytes(of: &copy) { raw in
            var bytes = Array(raw)
            umockdev_ioctl_data_update(data, gsize(offset), &bytes, Int32(bytes.count))
        }
    }

    static func bytes(fromHex text: String) -> [UInt8] {
        let digits = Array(text.utf8).compactMap { character -> UInt8? in
            switch character {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): return character - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): return character - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): return character - UInt8(ascii: "A") + 10
            default: return nil
            }
        }
        return stride(from: 0, to: digits.count - 1, by: 2).map { digits[$0] << 4 | digits[$0 + 1] }
    }

    /// Moves a description to a sibling port (`1-1.2` → `1-1.4`) and another address.
    static func relocate(_ text: String, port newPort: String?, address: UInt8?) -> String {
        guard newPort != nil || address != nil else { return text }
        var oldPort: String?
        var oldAddress: Int?
        for line in text.split(separator: "\n") {
            if oldPort == nil, line.hasPrefix("P: ") { oldPort = String(line.split(separator: "/").last ?? "") }
            if oldAddress == nil, line.hasPrefix("A: devnum=") { oldAddress = Int(line.dropFirst("A: devnum=".count).prefix(while: \.isNumber)) }
        }
        var lines: [String] = []
        for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
            var rewritten = String(line)
            if let newPort, let oldPort, rewritten.hasPrefix("P: ") {
                var components = rewritten.split(separator: "/", omittingEmptySubsequences: false).map(String.init)
                components = components.map { component in
                    if component == oldPort { return newPort }
                    if component.hasPrefix(oldPort + ":") { return newPort + component.dropFirst(oldPort.count) }
                    return component
                }
                rewritten = components.joined(separator: "/")
            }
            if let address, let oldAddress {
                let old3 = threeDigits(oldAddress)
                let new3 = threeDigits(Int(address))
                if rewritten.hasPrefix("N: ") || rewritten.hasPrefix("E: DEVNAME=") {
                    rewritten = String(rewritten.dropLast(3)) + new3
                } else if rewritten == "E: DEVNUM=\(old3)" {
                    rewritten = "E: DEVNUM=\(new3)"
                } else if rewritten.hasPrefix("A: devnum=") {
                    rewritten = "A: devnum=\(address)\\n"
                }
            }
            lines.append(rewritten)
        }
        return lines.joined(separator: "\n")
    }
}

/// `CLOCK_MONOTONIC` in nanoseconds: the clock the transport stamps transfers with, so a test can
/// compare a report's due time with the scan time the reader reports.
func monotonicNanoseconds() -> UInt64 {
    var spec = timespec()
    clock_gettime(CLOCK_MONOTONIC, &spec)
    return UInt64(spec.tv_sec) &* 1_000_000_000 &+ UInt64(spec.tv_nsec)
}

private func threeDigits(_ value: Int) -> String {
    let text = String(value)
    return String(repeating: "0", count: max(0, 3 - text.count)) + text
}

private func hex(_ value: UInt8) -> String {
    let digits = String(value, radix: 16)
    return "0x" + (digits.count < 2 ? "0" + digits : digits)
}

private let handleIoctlTrampoline: @convention(c) (
    UnsafeMutableRawPointer?, UnsafeMutablePointer<UMockdevIoctlClient>?, UnsafeMutableRawPointer?
) -> gboolean = { _, client, context in
    guard let client, let context else { return 0 }
    let device = Unmanaged<EmulatedUSBDevice>.fromOpaque(context).takeUnretainedValue()
    return device.handle(client) ? 1 : 0
}

private let clientVanishedTrampoline: @convention(c) (
    UnsafeMutableRawPointer?, UnsafeMutablePointer<UMockdevIoctlClient>?, UnsafeMutableRawPointer?
) -> Void = { _, client, context in
    guard let context else { return }
    Unmanaged<EmulatedUSBDevice>.fromOpaque(context).takeUnretainedValue().clientVanished(UInt(bitPattern: client))
}
