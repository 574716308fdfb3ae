/// One video frame from a camera, as bytes: what the decoding layer is given.
///
/// The bytes are the frame's own (copied out of the USB callback by the caller); nothing here refers to the device.
public struct Frame: Sendable, Equatable {
    /// How the bytes of a frame are laid out.
    public enum Format: String, Sendable, Equatable, CaseIterable {
        /// One JPEG image per frame (UVC's MJPEG format): the bytes are the JPEG, its header gives the size.
        case mjpeg
        /// Packed 4:2:2, `Y0 U Y1 V` for each two pixels (YUY2): `width × 2` bytes a row.
        case yuyv
        /// 8-bit luma only: `width` bytes a row.
        case gray
    }

    public var width: Int
    public var height: Int
    public var format: Format
    public var bytes: [UInt8]
    /// When the frame arrived, on the monotonic clock (CLOCK_MONOTONIC nanoseconds): the caller's time, which
    /// ``InViewRule`` measures "out of view" on.
    public var arrivalNanos: UInt64

    /// - Parameters:
    ///   - width: pixels a row (for `.mjpeg`, the size the camera was asked for; the JPEG's own header is what the
    ///     decoder uses).
    ///   - height: rows.
    ///   - format: how `bytes` are laid out.
    ///   - bytes: the frame.
    ///   - arrivalNanos: when the frame arrived (monotonic nanoseconds).
    public init(width: Int, height: Int, format: Format, bytes: [UInt8], arrivalNanos: UInt64) {
        self.width = width
        self.height = height
        self.format = format
        self.bytes = bytes
        self.arrivalNanos = arrivalNanos
    }
}

/// An 8-bit gray image, rows `width` bytes apart: the plane the barcode reader looks at.
public struct GrayImage: Sendable, Equatable {
    public var width: Int
    public var height: Int
    /// `width × height` bytes, row after row.
    public var pixels: [UInt8]

    public init(width: Int, height: Int, pixels: [UInt8]) {
        self.width = width
        self.height = height
        self.pixels = pixels
    }
}
