/// The release photo of a frame, as JPEG bytes.
///
/// An MJPEG frame is its own photo: its bytes are returned unchanged, so the photo is exactly what the camera sent.
/// A YUYV frame is encoded as a color (YCbCr) JPEG and a gray frame as a gray JPEG, through libjpeg-turbo.
public struct PhotoEncoder: Sendable {
    /// The JPEG quality (1-100) of encoded photos.
    public var quality: Int

    /// - Parameter quality: JPEG quality, 1-100 (default 80: a readable label at about 40-60 kB for 640×480).
    public init(quality: Int = 80) {
        self.quality = min(max(quality, 1), 100)
    }

    /// The photo of `frame`.
    /// - Throws: ``LabelDecodingError`` `.badFrame` when the bytes do not fit the frame's size, `.encodingFailed` or
    ///   `.outOfMemory` when libjpeg cannot write it.
    public func photo(of frame: Frame) throws(LabelDecodingError) -> [UInt8] {
        switch frame.format {
        case .mjpeg:
            return frame.bytes
        case .gray:
            try check(frame, bytesPerPixel: 1)
            return try JPEG.encodeGray(frame.bytes, width: frame.width, height: frame.height, quality: quality)
        case .yuyv:
            try check(frame, bytesPerPixel: 2)
            guard frame.width % 2 == 0 else {
                throw LabelDecodingError(.badFrame, "a YUYV frame \(frame.width) pixels wide: YUYV widths are even; check the frame setting")
            }
            return try JPEG.encodeYUYV(frame.bytes, width: frame.width, height: frame.height, quality: quality)
        }
    }

    private func check(_ frame: Frame, bytesPerPixel: Int) throws(LabelDecodingError) {
        guard frame.width > 0, frame.height > 0, frame.width <= JPEG.maximumSide, frame.height <= JPEG.maximumSide,
            frame.bytes.count >= frame.width * frame.height * bytesPerPixel
        else {
            throw LabelDecodingError(
                .badFrame,
                "cannot make a photo of a \(frame.width)×\(frame.height) \(frame.format.rawValue) frame of \(frame.bytes.count) "
                    + "bytes: the frame is partial or its size is wrong")
        }
    }
}
