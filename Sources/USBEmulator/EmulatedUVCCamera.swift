import CUMockdev
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// A USB video camera (UVC 1.00, the release device 出库仪/高拍仪) played live: a Video Control and a
/// Video Streaming interface with MJPEG and YUYV at 640×480 and 320×240 (30, 15 and 5 fps), probe and
/// commit negotiation, and frames the test scripts, sent as UVC payloads (header with the frame-ID
/// toggle, end-of-frame bit on a frame's last payload) over a bulk endpoint or, packet by packet,
/// over an isochronous one.
///
/// The frames are sent as given: any bytes for MJPEG, and for YUYV the test gives exact
/// `width × height × 2` buffers. They go out at the negotiated frame rate (or the one given to
/// ``play(_:framesPerSecond:)``), the first as soon as the host streams; an unfinished frame when the
/// host stops is sent again from its start on the next stream, so stopping loses none.
public final class EmulatedUVCCamera: Sendable {
    /// How the streaming interface moves video.
    public enum Transport: Sendable, CustomStringConvertible {
        /// One alternate setting with a bulk IN endpoint; 2-byte payload headers.
        case bulk
        /// Alternate setting 0 without endpoints, 1 (1024-byte packets) and 2 (3 × 1024) with an
        /// isochronous IN endpoint; 12-byte payload headers (PTS and SCR).
        case isochronous

        public var description: String { self == .bulk ? "bulk" : "isochronous" }
    }

    /// A frame size the camera offers, as its descriptors say.
    public struct Mode: Sendable, Hashable {
        public let format: String  // "MJPEG" or "YUYV"
        public let width: Int
        public let height: Int
        public let framesPerSecond: [Int]
    }

    public static let vendorID: UInt16 = 0x0c45
    public static let productID: UInt16 = 0x6366
    /// The streaming endpoint.
    public static let endpoint: UInt8 = 0x81
    /// The video streaming interface.
    public static let streamingInterface: UInt8 = 1
    /// What the descriptors offer, format by format (MJPEG is format 1, YUYV format 2).
    public static let modes: [Mode] = [
        Mode(format: "MJPEG", width: 640, height: 480, framesPerSecond: [30, 15, 5]),
        Mode(format: "MJPEG", width: 320, height: 240, framesPerSecond: [30, 15, 5]),
        Mode(format: "YUYV", width: 640, height: 480, framesPerSecond: [30, 15, 5]),
        Mode(format: "YUYV", width: 320, height: 240, framesPerSecond: [30, 15, 5]),
    ]

    /// The live device to plug (``USBTestbed/plug(_:)``) and unplug.
    public let device: EmulatedUSBDevice
    public let transport: Transport
    private let stream: CameraStream

    /// - Parameters:
    ///   - port: the hub port path, as `1-5`.
    ///   - address: the device address on bus 1 (a re-plugged camera gets a new one).
    ///   - formats: the formats its descriptors offer, in order (`"MJPEG"`, `"YUYV"`): a YUYV-only camera is `["YUYV"]`.
    public init(
        transport: Transport, port: String = "1-5", address: UInt8 = 7, serial: String = "CAM0001",
        formats: [String] = ["MJPEG", "YUYV"]
    ) throws(EmulatorError) {
        self.transport = transport
        let stream = CameraStream(transport: transport, formats: formats)
        self.stream = stream
        self.device = try EmulatedUSBDevice(
            description: Self.description(transport: transport, port: port, address: address, serial: serial, formats: formats),
            function: stream)
    }

    // MARK: What the test does

    /// Queues frames to send, in order, one per frame interval (the negotiated one, or
    /// `framesPerSecond`); the first is due as soon as the host streams (or now, if it already does).
    public func play(_ frames: [[UInt8]], framesPerSecond: Double? = nil) {
        stream.state.withLock { state in
            state.queue.append(contentsOf: frames)
            if let framesPerSecond { state.intervalOverride = UInt64(1_000_000_000 / framesPerSecond) }
        }
    }

    /// Frames sent completely (their last payload handed to the host).
    public var framesSent: Int { stream.state.withLock { $0.framesSent } }
    /// Frames queued and not yet sent completely.
    public var framesQueued: Int { stream.state.withLock { $0.queue.count } }
    /// Stream transfers the host cancelled (DISCARDURB), as a camera sees at stream stop.
    public var cancelledTransfers: Int { device.events.filter { $0.hasPrefix("discard") }.count }
    /// The last committed (format index, frame index, frame interval in 100 ns), nil before a commit.
    public var committed: (format: UInt8, frame: UInt8, interval: UInt32)? {
        stream.state.withLock { state in state.commit.map { ($0.format, $0.frame, $0.interval) } }
    }
    /// `CLOCK_MONOTONIC` (ns) when each sent frame's last payload was handed to the host, in order.
    public var frameSentTimes: [UInt64] { stream.state.withLock { $0.sentAt } }
    /// Whether the camera is streaming now (committed and, isochronous, at an alternate setting > 0).
    public var isStreaming: Bool { stream.state.withLock { $0.streaming } }
    /// What the camera saw of the UVC protocol, in order: `probe set 1/1/333333`, `commit 2/1/666666`,
    /// `stream on`, `stream off`.
    public var log: [String] { stream.state.withLock { $0.log } }

    // MARK: Descriptors

    /// The umockdev description: the device with its descriptors and the two interfaces bound to uvcvideo.
    static func description(transport: Transport, port: String, address: UInt8, serial: String, formats: [String]) -> String {
        let hex = descriptors(transport: transport, formats: formats).map { byte -> String in
            let digits = String(byte, radix: 16, uppercase: true)
            return digits.count < 2 ? "0" + digits : digits
        }.joined()
        let devnum = String(address)
        let padded = String(repeating: "0", count: max(0, 3 - devnum.count)) + devnum
        let path = "/devices/pci0000:00/0000:00:14.0/usb1/" + (port.contains(".") ? "1-1/" : "") + port
        var text = """
            P: \(path)
            N: bus/usb/001/\(padded)
            E: DEVNAME=/dev/bus/usb/001/\(padded)
            E: DEVTYPE=usb_device
            E: SUBSYSTEM=usb
            E: BUSNUM=001
            E: DEVNUM=\(padded)
            E: ID_VENDOR_ID=0c45
            E: ID_MODEL_ID=6366
            A: busnum=1\\n
            A: devnum=\(address)\\n
            A: idVendor=0c45\\n
            A: idProduct=6366\\n
            A: bDeviceClass=ef\\n
            A: speed=480\\n
            A: bConfigurationValue=1\\n
            A: bNumConfigurations=1\\n
            A: manufacturer=Emulated Document Camera\\n
            A: product=UVC Camera (\(transport))\\n
            A: serial=\(serial)\\n
            H: descriptors=\(hex)

            """
        // The driver link climbs from the interface's directory to /sys.
        let up = String(repeating: "../", count: path.split(separator: "/").count + 1)
        for (number, subclass) in [(0, "01"), (1, "02")] {
            text += """

                P: \(path)/\(port):1.\(number)
                E: DEVTYPE=usb_interface
                E: SUBSYSTEM=usb
                A: bInterfaceNumber=0\(number)\\n
                A: bInterfaceClass=0e\\n
                A: bInterfaceSubClass=\(subclass)\\n
                A: bInterfaceProtocol=00\\n
                L: driver=\(up)bus/usb/drivers/uvcvideo

                """
        }
        return text
    }

    /// The device descriptor and the configuration, as sysfs' `descriptors` file has them.
    static func descriptors(transport: Transport, formats offered: [String]) -> [UInt8] {
        func le16(_ value: Int) -> [UInt8] { [UInt8(value & 0xff), UInt8(value >> 8 & 0xff)] }
        func le32(_ value: Int) -> [UInt8] { le16(value & 0xffff) + le16(value >> 16) }
        let device: [UInt8] = [0x12, 0x01] + le16(0x0200) + [0xEF, 0x02, 0x01, 0x40] + le16(Int(vendorID)) + le16(Int(productID))
            + le16(0x0100) + [1, 2, 3, 1]
        // Video Control: header (UVC 1.00, one streaming interface), camera terminal, processing unit, output terminal.
        let terminal: [UInt8] = [0x12, 0x24, 0x02, 1] + le16(0x0201) + [0, 0] + le16(0) + le16(0) + le16(0) + [3, 0, 0, 0]
        let processing: [UInt8] = [0x0B, 0x24, 0x05, 2, 1] + le16(0) + [2, 0, 0, 0]
        let output: [UInt8] = [0x09, 0x24, 0x03, 3] + le16(0x0101) + [0, 2, 0]
        let controlTotal = 13 + terminal.count + processing.count + output.count
        let header: [UInt8] = [0x0D, 0x24, 0x01] + le16(0x0100) + le16(controlTotal) + le32(48_000_000) + [1, 1]
        let control: [UInt8] = [0x09, 0x04, 0, 0, 0, 0x0E, 0x01, 0x00, 0] + header + terminal + processing + output
        // Video Streaming: the formats and frames.
        var formats: [UInt8] = []
        let intervals = [333_333, 666_666, 2_000_000]
        for (index, name) in offered.enumerated() {
            let sizes = modes.filter { $0.format == name }
            if name == "MJPEG" {
                formats += [0x0B, 0x24, 0x06, UInt8(index + 1), UInt8(sizes.count), 0x01, 1, 0, 0, 0, 0]
            } else {
                let yuy2: [UInt8] = [0x59, 0x55, 0x59, 0x32, 0x00, 0x00, 0x10, 0x00, 0x80, 0x00, 0x00, 0xAA, 0x00, 0x38, 0x9B, 0x71]
                formats += [0x1B, 0x24, 0x04, UInt8(index + 1), UInt8(sizes.count)] + yuy2 + [16, 1, 0, 0, 0, 0]
            }
            for (frameIndex, mode) in sizes.enumerated() {
                let size = mode.width * mode.height * 2
                formats += [UInt8(26 + 4 * intervals.count), 0x24, name == "MJPEG" ? 0x07 : 0x05, UInt8(frameIndex + 1), 0]
                    + le16(mode.width) + le16(mode.height) + le32(size * 8 * 5) + le32(size * 8 * 30) + le32(size)
                    + le32(intervals[0]) + [UInt8(intervals.count)] + intervals.flatMap { le32($0) }
            }
        }
        let inputHeaderLength = 13 + offered.count
        let streamingTotal = inputHeaderLength + formats.count
        let inputHeader: [UInt8] = [UInt8(inputHeaderLength), 0x24, 0x01, UInt8(offered.count)] + le16(streamingTotal) + [endpoint, 0, 3, 0, 0, 0, 1] + Array(repeating: 0, count: offered.count)
        var streaming: [UInt8]
        switch transport {
        case .bulk:
            streaming = [0x09, 0x04, 1, 0, 1, 0x0E, 0x02, 0x00, 0] + inputHeader + formats + [0x07, 0x05, endpoint, 0x02] + le16(512) + [0]
        case .isochronous:
            streaming = [0x09, 0x04, 1, 0, 0, 0x0E, 0x02, 0x00, 0] + inputHeader + formats
            for (alternate, packet) in [(1, 0x0400), (2, 0x1400)] {
                streaming += [0x09, 0x04, 1, UInt8(alternate), 1, 0x0E, 0x02, 0x00, 0] + [0x07, 0x05, endpoint, 0x05] + le16(packet) + [1]
            }
        }
        // Interface association: the two interfaces are one video function.
        let association: [UInt8] = [0x08, 0x0B, 0, 2, 0x0E, 0x03, 0x00, 0]
        let body = association + control + streaming
        let configuration: [UInt8] = [0x09, 0x02] + le16(9 + body.count) + [2, 1, 0, 0x80, 0xFA]
        return device + configuration + body
    }
}

/// The camera's side of the UVC protocol and its video, on umockdev's ioctl thread.
final class CameraStream: DeviceFunction {
    struct Control {
        var format: UInt8
        var frame: UInt8
        var interval: UInt32
    }

    struct State {
        var probe: Control = Control(format: 1, frame: 1, interval: 333_333)
        var commit: Control?
        var alternate: UInt8 = 0
        var streaming = false
        var queue: [[UInt8]] = []
        /// Bytes of the first queued frame already sent in this stream.
        var offset = 0
        /// When the first queued frame is due (monotonic ns); nil until the stream starts.
        var due: UInt64?
        var frameID: UInt8 = 0
        var framesSent = 0
        var intervalOverride: UInt64?
        var log: [String] = []
        /// `CLOCK_MONOTONIC` (ns) when each frame's last payload was handed to the host.
        var sentAt: [UInt64] = []
    }

    let transport: EmulatedUVCCamera.Transport
    /// The formats the descriptors offer: format index N (1-based) is `formats[N - 1]`.
    let formats: [String]
    let state = Mutex(State())
    /// UVC 1.00 probe/commit block length.
    static let controlLength = 26
    /// Bytes per bulk payload (dwMaxPayloadTransferSize) and per isochronous packet.
    static let bulkPayload = 32 * 1024
    static let isochronousPacket = 3 * 1024

    init(transport: EmulatedUVCCamera.Transport, formats: [String]) {
        self.formats = formats
        self.transport = transport
    }

    var streamingEndpoints: [UInt8] { [EmulatedUVCCamera.endpoint] }

    func control(_ request: EmulatedUSBDevice.ControlRequest, length: Int) -> ControlAnswer? {
        // Class requests to the streaming interface: VS_PROBE_CONTROL (1) and VS_COMMIT_CONTROL (2).
        guard request.requestType & 0x60 == 0x20 else { return nil }
        let selector = UInt8(request.value >> 8)
        guard request.requestType & 0x1f == 0x01, UInt8(truncatingIfNeeded: request.index) == EmulatedUVCCamera.streamingInterface,
            selector == 1 || selector == 2
        else { return .stall }
        return state.withLock { state -> ControlAnswer in
            switch request.request {
            case 0x01:  // SET_CUR
                guard request.data.count >= Self.controlLength else { return .stall }
                let asked = Control(
                    format: request.data[2], frame: request.data[3],
                    interval: UInt32(request.data[4]) | UInt32(request.data[5]) << 8 | UInt32(request.data[6]) << 16
                        | UInt32(request.data[7]) << 24)
                let agreed = negotiate(asked)
                if selector == 1 {
                    state.probe = agreed
                    state.log.append("probe set \(agreed.format)/\(agreed.frame)/\(agreed.interval)")
                } else {
                    state.commit = agreed
                    state.log.append("commit \(agreed.format)/\(agreed.frame)/\(agreed.interval)")
                    // A bulk camera streams from the commit on; an isochronous one once an alternate setting has bandwidth.
                    restart(&state, streaming: transport == .bulk || state.alternate > 0)
                }
                return .data([])
            case 0x81:  // GET_CUR
                return .data(block(selector == 1 ? state.probe : state.commit ?? state.probe))
            case 0x82, 0x83, 0x87:  // GET_MIN, GET_MAX, GET_DEF
                return .data(block(Control(format: 1, frame: 1, interval: 333_333)))
            case 0x85:  // GET_LEN
                return .data([UInt8(Self.controlLength), 0])
            case 0x86:  // GET_INFO: GET and SET supported
                return .data([0x03])
            default:
                return .stall
            }
        }
    }

    /// What the camera agrees to: the asked format and frame if it has them, else its defaults; the
    /// nearest frame interval it offers.
    private func negotiate(_ asked: Control) -> Control {
        let format: UInt8 = asked.format == 2 ? 2 : 1
        let frame: UInt8 = asked.frame == 2 ? 2 : 1
        let offered: [UInt32] = [333_333, 666_666, 2_000_000]
        let interval = offered.min { abs(Int64($0) - Int64(asked.interval)) < abs(Int64($1) - Int64(asked.interval)) }!
        return Control(format: format, frame: frame, interval: interval)
    }

    /// The 26-byte probe/commit block for a control.
    private func block(_ control: Control) -> [UInt8] {
        func le32(_ value: Int) -> [UInt8] { (0..<4).map { UInt8(value >> (8 * $0) & 0xff) } }
        let mode = modeFor(control)
        let frameSize = mode.width * mode.height * 2
        let payload = transport == .bulk ? Self.bulkPayload : Self.isochronousPacket
        return [1, 0, control.format, control.frame] + le32(Int(control.interval)) + [0, 0, 0, 0, 0, 0, 0, 0, 0, 0]
            + le32(frameSize) + le32(payload)
    }

    private func modeFor(_ control: Control) -> EmulatedUVCCamera.Mode {
        let format = formats[min(max(Int(control.format), 1), formats.count) - 1]
        let sizes = EmulatedUVCCamera.modes.filter { $0.format == format }
        return sizes[min(Int(control.frame), sizes.count) - 1]
    }

    /// A new stream starts (or the stream stops): a frame cut short is sent again from its start.
    private func restart(_ state: inout State, streaming: Bool) {
        if streaming != state.streaming { state.log.append(streaming ? "stream on" : "stream off") }
        state.streaming = streaming
        state.offset = 0
        state.due = nil
    }

    func setInterface(_ interface: UInt8, alternate: UInt8) -> Bool {
        guard interface == EmulatedUVCCamera.streamingInterface else { return alternate == 0 }
        switch transport {
        case .bulk:
            guard alternate == 0 else { return false }
            state.withLock { restart(&$0, streaming: false) }
        case .isochronous:
            guard alternate <= 2 else { return false }
            state.withLock { state in
                state.alternate = alternate
                restart(&state, streaming: alternate > 0 && state.commit != nil)
            }
        }
        return true
    }

    func released(interface: UInt8) {
        guard interface == EmulatedUVCCamera.streamingInterface else { return }
        state.withLock { state in
            state.alternate = 0
            state.commit = nil
            restart(&state, streaming: false)
        }
    }

    private func interval(_ state: State) -> UInt64 {
        state.intervalOverride ?? UInt64(state.commit?.interval ?? 333_333) * 100
    }

    func complete(_ urb: EmulatedUSBDevice.URB, now: UInt64) -> Bool {
        state.withLock { state -> Bool in
            guard state.streaming, !state.queue.isEmpty else { return false }
            if state.due == nil { state.due = now }
            guard let due = state.due, due <= now else { return false }
            switch transport {
            case .bulk:
                urb.reply = payload(&state, room: urb.length, header: 2, now: now)
                urb.actualLength = urb.reply.count
            case .isochronous:
                guard urb.packetCount > 0 else { return false }
                let packet = urb.length / urb.packetCount
                var buffer: [UInt8] = []
                var lengths: [Int] = []
                for _ in 0..<urb.packetCount {
                    // Packets after the frame's end (and no next frame due yet) stay empty.
                    guard !state.queue.isEmpty, let due = state.due, due <= now else {
                        lengths.append(0)
                        continue
                    }
                    let bytes = payload(&state, room: packet, header: 12, now: now)
                    buffer.append(contentsOf: [UInt8](repeating: 0, count: lengths.count * packet - buffer.count))
                    buffer.append(contentsOf: bytes)
                    lengths.append(bytes.count)
                }
                urb.reply = buffer
                urb.packetLengths = lengths
                urb.actualLength = buffer.count
            }
            return true
        }
    }

    /// The next payload of the first queued frame, at most `room` bytes with its header; finishes
    /// the frame (end-of-frame bit, frame-ID toggle, the next one due an interval later) at its end.
    private func payload(_ state: inout State, room: Int, header: Int, now: UInt64) -> [UInt8] {
        let frame = state.queue[0]
        let count = min(frame.count - state.offset, max(0, room - header))
        let last = state.offset + count >= frame.count
        var info: UInt8 = 0x80 | state.frameID | (last ? 0x02 : 0)
        var bytes: [UInt8]
        if header == 12 {
            info |= 0x0C  // PTS and SCR present
            let stamp = UInt32(truncatingIfNeeded: now / 1000)
            let pts = (0..<4).map { UInt8(truncatingIfNeeded: stamp >> (8 * UInt32($0))) }
            bytes = [12, info] + pts + pts + [0, 0]
        } else {
            bytes = [2, info]
        }
        bytes.append(contentsOf: frame[state.offset..<state.offset + count])
        state.offset += count
        if last {
            state.queue.removeFirst()
            state.offset = 0
            state.frameID ^= 1
            state.framesSent += 1
            state.sentAt.append(monotonicNanoseconds())
            // Keep the pace from the schedule, not from when the host happened to reap.
            state.due = max(state.due.map { $0 + interval(state) } ?? now, now - min(now, interval(state)))
        }
        return bytes
    }

    func idle(now: UInt64) {
        let wait = state.withLock { state -> UInt64 in
            guard state.streaming, !state.queue.isEmpty, let due = state.due else { return 1_000_000 }
            return due > now ? min(due - now, 1_000_000) : 0
        }
        guard wait > 0 else { return }
        var request = timespec(tv_sec: 0, tv_nsec: Int(wait))
        var remaining = timespec()
        while nanosleep(&request, &remaining) != 0 && errno == EINTR { request = remaining }
    }
}
