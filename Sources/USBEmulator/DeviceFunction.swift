/// What a device class adds to ``EmulatedUSBDevice``: its class requests, alternate settings and
/// the data it streams on its own schedule (a camera's video), while the device keeps doing the
/// usbdevfs side (claims, drivers, URB bookkeeping, cancel, unplug).
///
/// Every method is called on umockdev's ioctl thread, some with the device's state locked: a
/// function keeps its own lock and never calls back into the device.
protocol DeviceFunction: Sendable {
    /// IN endpoints whose pending transfers ``complete(_:now:)`` fills.
    var streamingEndpoints: [UInt8] { get }

    /// Answers a control request: `.data` (the reply of an IN request; ignored for OUT, which is
    /// accepted), `.stall`, or nil to leave it to the device (standard descriptors, the test's responder).
    func control(_ request: EmulatedUSBDevice.ControlRequest, length: Int) -> ControlAnswer?

    /// SET_INTERFACE; false answers EINVAL (no such alternate setting).
    func setInterface(_ interface: UInt8, alternate: UInt8) -> Bool

    /// The host released an interface (libusb_release_interface, or closing the node).
    func released(interface: UInt8)

    /// Fills the oldest pending transfer of a streaming endpoint if data is due by `now`
    /// (monotonic ns): sets `reply`, `actualLength`, and for isochronous URBs `packetLengths`.
    /// Returns false to leave it pending.
    func complete(_ urb: EmulatedUSBDevice.URB, now: UInt64) -> Bool

    /// Called when a reap found nothing to hand back: may sleep briefly (until data falls due),
    /// so the host's event thread does not spin on the always-ready node.
    func idle(now: UInt64)
}

/// A ``DeviceFunction``'s answer to a control request.
enum ControlAnswer {
    case data([UInt8])
    case stall
}
