/// How a camera encodes its frames.
public enum UVCPixelFormat: Sendable, Hashable, CustomStringConvertible {
    /// Motion JPEG: every frame is a JPEG (the photo to keep as it is).
    case mjpeg
    /// YUYV 4:2:2, 2 bytes per pixel: the luma of pixel n is byte 2n (the gray plane for decoding).
    case yuyv
    /// Anything else, by its fourcc (`"NV12"`, `"H264"`), listed but not streamed.
    case other(String)

    public var description: String {
        switch self {
        case .mjpeg: "MJPEG"
        case .yuyv: "YUYV"
        case .other(let fourcc): fourcc
        }
    }
}

/// One size a camera offers in one format, with its frame rates: what `devices` shows.
public struct UVCMode: Sendable, Hashable, CustomStringConvertible {
    public let format: UVCPixelFormat
    public let width: Int
    public let height: Int
    /// Frame rates offered, as the camera lists them (whole frames per second, as libuvc matches them).
    public let framesPerSecond: [Int]

    public init(format: UVCPixelFormat, width: Int, height: Int, framesPerSecond: [Int]) {
        self.format = format
        self.width = width
        self.height = height
        self.framesPerSecond = framesPerSecond
    }

    /// `"MJPEG 640x480@30,15,5"`.
    public var description: String {
        "\(format) \(width)x\(height)@" + framesPerSecond.map(String.init).joined(separator: ",")
    }
}

/// The `frame` setting of a `[[devices]]` entry: the size and rate to ask the camera for.
public struct UVCFrameRequest: Sendable, Hashable, CustomStringConvertible {
    public let width: Int
    public let height: Int
    /// Frames per second; nil takes the first rate the camera offers at that size.
    public let framesPerSecond: Int?

    public init(width: Int, height: Int, framesPerSecond: Int?) {
        self.width = width
        self.height = height
        self.framesPerSecond = framesPerSecond
    }

    /// Parses `"640x480@15"` (or `"640x480"`, any rate).
    /// - Throws: `UVCError.badFrameSetting` for anything else.
    public init(parsing text: String) throws(UVCError) {
        let bad = UVCError(code: UVCError.badFrameSetting.code, operation: "read the frame setting \"\(text)\"")
        let parts = text.split(separator: "@", maxSplits: 1, omittingEmptySubsequences: false)
        let size = parts[0].split(separator: "x", omittingEmptySubsequences: false)
        guard size.count == 2, let width = Int(size[0]), let height = Int(size[1]),
            (1...8192).contains(width), (1...8192).contains(height)
        else { throw bad }
        var rate: Int?
        if parts.count == 2 {
            guard let value = Int(parts[1]), (1...240).contains(value) else { throw bad }
            rate = value
        }
        self.init(width: width, height: height, framesPerSecond: rate)
    }

    public var description: String { "\(width)x\(height)" + (framesPerSecond.map { "@\($0)" } ?? "") }
}

/// One frame as the camera sent it, copied out of libuvc's buffer.
public struct UVCFrame: Sendable {
    public let width: Int
    public let height: Int
    public let format: UVCPixelFormat
    /// The frame's bytes: a JPEG for MJPEG, `width × height × 2` bytes for YUYV.
    public let bytes: [UInt8]
    /// libuvc's frame number in this stream (starts at 1; skips when frames were dropped because
    /// the handler was still busy with an earlier one).
    public let sequence: UInt32
    /// `MonotonicClock.now()` when libuvc handed the frame over (before the copy).
    public let arrivedAt: UInt64

    public init(width: Int, height: Int, format: UVCPixelFormat, bytes: [UInt8], sequence: UInt32, arrivedAt: UInt64) {
        self.width = width
        self.height = height
        self.format = format
        self.bytes = bytes
        self.sequence = sequence
        self.arrivedAt = arrivedAt
    }
}

/// What the camera agreed to stream.
public struct UVCStreamSettings: Sendable, Hashable, CustomStringConvertible {
    public let format: UVCPixelFormat
    public let width: Int
    public let height: Int
    /// From the committed frame interval (100 ns units).
    public let framesPerSecond: Double
    /// The largest frame the camera will send (dwMaxVideoFrameSize).
    public let maxFrameBytes: Int
    /// The largest payload per transfer (bulk) or packet (isochronous), dwMaxPayloadTransferSize.
    public let maxPayloadBytes: Int

    public var description: String {
        let rate = (framesPerSecond * 100).rounded() / 100
        return "\(format) \(width)x\(height)@\(rate)"
    }
}

/// How a stream ended.
public enum UVCStreamEnd: Sendable, Equatable {
    /// `stop()` or `close()` ended it.
    case stopped
    /// The camera went away (`UVCError.unplugged`) or failed.
    case failed(UVCError)
}
