internal import CUMockdev
import Synchronization
import SystemSupport
#if canImport(Glibc)
import Glibc
#endif

/// Why the emulator could not do what a test asked.
public struct EmulatorError: Error, Sendable, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}

/// A umockdev test bed: a fake /sys and /dev that the preloaded process (and its children) see
/// instead of the real ones, into which tests plug emulated USB devices.
///
/// Only works in a process started under `umockdev-wrapper` (or `umockdev-run`), which preloads
/// `libumockdev-preload.so`; `USBTestbed.isAvailable` tells, so tests can skip themselves with a
/// reason instead of failing on a machine that runs them without it.
public final class USBTestbed: Sendable {
    /// GObject; umockdev's testbed API is called from the test's threads only while no device
    /// change is in progress, which the `Mutex` below serialises.
    nonisolated(unsafe) let raw: UnsafeMutablePointer<UMockdevTestbed>
    /// The live devices by sysfs path. Its lock also serialises every change to the fake /sys: the
    /// emulator rewrites `driver` links on umockdev's ioctl thread (claim, release, the program
    /// closing the node) while the test adds and removes devices on its own thread, and umockdev
    /// ends the whole process (SIGTRAP) on any file error in either: a link made in a directory
    /// being removed, a link removed twice, a directory not empty when removed.
    private let sysfs = Mutex(Sysfs())

    private struct Sysfs {
        var devices: [String: EmulatedUSBDevice] = [:]
        /// Set once the test that owned the test bed has ended and its directory is gone.
        var retired = false
    }

    /// True when this process runs under the umockdev preload.
    public static var isAvailable: Bool {
        // umockdev_in_mock_environment() inspects who provides open(), which a Swift test binary
        // can resolve without the preload's help; the environment says it plainly.
        guard let preload = getenv("LD_PRELOAD") else { return false }
        return String(cString: preload).contains("libumockdev-preload")
    }

    /// Why device tests cannot run here, or nil when they can.
    public static var unavailableReason: String? {
        isAvailable ? nil : "not running under the umockdev preload: run the tests with `make test` "
            + "(umockdev-wrapper swift test), which is how CI runs them"
    }

    public init() throws(EmulatorError) {
        guard Self.isAvailable else { throw EmulatorError(Self.unavailableReason!) }
        guard let testbed = umockdev_testbed_new() else { throw EmulatorError("umockdev_testbed_new failed") }
        raw = testbed
    }

    deinit {
        // umockdev removes its directory when the test bed is freed and ends the process if it is
        // already gone: a retired test bed (its directory removed by `retire()`) gives it back empty.
        if sysfs.withLock({ $0.retired }) { mkdir(rootDirectory, 0o700) }
        g_object_unref(raw)
    }

    /// The test bed's root directory (its fake /sys and /dev live below it); the preload finds it
    /// through `$UMOCKDEV_DIR`, which child processes inherit.
    public var rootDirectory: String {
        let path = umockdev_testbed_get_root_dir(raw)!
        defer { g_free(path) }
        return String(cString: path)
    }

    /// Adds devices from umockdev's text format (no live behaviour: descriptors and sysfs only).
    public func add(description: String) throws(EmulatorError) {
        try sysfs.withLock { sysfs throws(EmulatorError) in
            guard !sysfs.retired else { throw EmulatorError("the test bed is retired: its test has ended") }
            try addLocked(description: description)
        }
    }

    /// Adds a description; the caller holds the `sysfs` lock.
    private func addLocked(description: String) throws(EmulatorError) {
        var error: UnsafeMutablePointer<GError>?
        if umockdev_testbed_add_from_string(raw, description, &error) == 0 {
            let message = error.map { String(cString: $0.pointee.message) } ?? "unknown error"
            if let error { g_error_free(error) }
            throw EmulatorError("cannot add device description: \(message)")
        }
    }

    /// Adds the devices of a fixture file.
    public func add(fixture path: String) throws(EmulatorError) {
        try add(description: try UMockdevDescription.read(path))
    }

    /// Plugs in a live device: its usbdevfs node is served by `device` from now on, and udev
    /// listeners (libusb hotplug) see an "add" event.
    public func plug(_ device: EmulatedUSBDevice) throws(EmulatorError) {
        // Checked again when adding; here so a retired test bed's directory is not recreated.
        if sysfs.withLock({ $0.retired }) { throw EmulatorError("the test bed is retired: its test has ended") }
        // Attach the ioctl handler before the device exists, so a program that opens it the
        // moment the "add" event arrives already reaches the emulator.
        var error: UnsafeMutablePointer<GError>?
        let attached = device.handler.withMemoryRebound(to: UMockdevIoctlBase.self, capacity: 1) { handler in
            umockdev_testbed_attach_ioctl(raw, device.deviceNode, handler, &error)
        }
        if attached == 0 {
            let message = error.map { String(cString: $0.pointee.message) } ?? "unknown error"
            if let error { g_error_free(error) }
            throw EmulatorError("cannot attach the usbdevfs emulator to \(device.deviceNode): \(message)")
        }
        device.attach(to: self)
        try sysfs.withLock { sysfs throws(EmulatorError) in
            guard !sysfs.retired else { throw EmulatorError("the test bed is retired: its test has ended") }
            sysfs.devices[device.sysfsPath] = device
            try addLocked(description: device.description)
        }
    }

    /// Unplugs a live device as the kernel does: pending transfers end with ENODEV (libusb reports
    /// `LIBUSB_TRANSFER_NO_DEVICE`), then udev announces "remove" and the nodes go away.
    ///
    /// - Parameter drainTimeoutMilliseconds: how long to wait for the program to reap the failed
    ///   transfers before the node is removed regardless.
    public func unplug(_ device: EmulatedUSBDevice, drainTimeoutMilliseconds: Int = 2000) {
        device.markUnplugged()
        var waited = 0
        while device.transfersAwaitingReap > 0 && waited < drainTimeoutMilliseconds {
            usleep(5000)
            waited += 5
        }
        sysfs.withLock { sysfs in
            guard !sysfs.retired else { return }
            removeLocked(path: device.sysfsPath, interfaces: device.interfacePaths)
            _ = sysfs.devices.removeValue(forKey: device.sysfsPath)
        }
    }

    /// Removes a device (and the given child paths, both as `/devices/...`) with "remove" uevents.
    public func remove(path: String, interfaces: [String] = []) {
        sysfs.withLock { sysfs in
            guard !sysfs.retired else { return }
            removeLocked(path: path, interfaces: interfaces)
        }
    }

    /// The caller holds the `sysfs` lock.
    private func removeLocked(path: String, interfaces: [String]) {
        // umockdev's API names devices by their /sys path; descriptions use the /devices path.
        for child in interfaces { umockdev_testbed_uevent(raw, "/sys" + child, "remove") }
        umockdev_testbed_uevent(raw, "/sys" + path, "remove")
        for child in interfaces { umockdev_testbed_remove_device(raw, "/sys" + child) }
        umockdev_testbed_remove_device(raw, "/sys" + path)
    }

    /// Points an interface's `driver` link at `driver`, or removes it (nil), as the kernel's
    /// binding and unbinding do; nothing once `stillPlugged` (asked under the lock) says the device
    /// is gone, or when its interface directory no longer exists.
    func setDriverLink(interfacePath: String, driver: String?, stillPlugged: () -> Bool) {
        let directory = rootDirectory + "/sys" + interfacePath
        sysfs.withLock { sysfs in
            guard !sysfs.retired, stillPlugged(), access(directory, F_OK) == 0 else { return }
            unlink(directory + "/driver")
            if let driver {
                umockdev_testbed_set_attribute_link(raw, "/sys" + interfacePath, "driver", "../../../../../../../bus/usb/drivers/" + driver)
            }
        }
    }
}

extension USBTestbed {
    /// Ends the test bed's use when its test ends: removes its directory (umockdev does only when
    /// the test bed is freed, which never comes for one that had a live device: its ioctl handler
    /// keeps the device, and the device the test bed, for the life of the process). Afterwards
    /// adding a device fails and removing one, or a late `driver` link change from the ioctl thread,
    /// does nothing.
    func retire() {
        let root = rootDirectory
        sysfs.withLock { sysfs in
            guard !sysfs.retired else { return }
            sysfs.retired = true
            removeTree(root)
        }
    }
}

/// Removes a directory tree, depth first and not following links; unlike umockdev's own removal,
/// no error ends the process (what cannot be removed stays).
private func removeTree(_ path: String) {
    var info = stat()
    guard lstat(path, &info) == 0 else { return }
    guard info.st_mode & S_IFMT == S_IFDIR else {
        unlink(path)
        return
    }
    var names: [String] = []
    if let directory = opendir(path) {
        while let entry = readdir(directory) {
            let name = directoryEntryName(entry)
            if name != "." && name != ".." { names.append(name) }
        }
        closedir(directory)
    }
    for name in names { removeTree(path + "/" + name) }
    rmdir(path)
}

/// Reading and rewriting umockdev's text format.
public enum UMockdevDescription {
    /// The text of a fixture file.
    public static func read(_ path: String) throws(EmulatorError) -> String {
        let bytes: [UInt8]
        switch SystemFile.read(path, limit: 64 << 20) {
        case .success(let read): bytes = read
        case .failure(let error): throw EmulatorError("cannot read fixture \(path): \(error)")
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}
