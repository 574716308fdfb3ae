internal import CZXing

/// Reads every barcode in a frame: "what codes are in this frame", nothing more.
///
/// The frame's gray plane is read by ZXing-C++ (TryHarder, TryRotate) for Code 128, Code 39, Code 93, EAN-13,
/// EAN-8, UPC-A, ITF, QR Code and Data Matrix. A YUYV frame's gray plane is its Y bytes; an MJPEG frame is decoded to
/// gray by libjpeg-turbo. Stateless and thread-safe; whether a code counts is ``InViewRule``'s business.
public struct LabelDecoder: Sendable {
    /// The most symbols read from one frame.
    public var maximumLabels: Int

    /// - Parameter maximumLabels: the most symbols read from one frame (1-255; default 8).
    public init(maximumLabels: Int = 8) {
        self.maximumLabels = min(max(maximumLabels, 1), 255)
    }

    /// The codes in `frame`, in the order ZXing found them; none when there are none.
    ///
    /// A symbol whose text is longer than 511 bytes is left out: no parcel label is that long.
    /// - Throws: ``LabelDecodingError`` when the frame is corrupt or does not fit its format (drop it, read the next).
    public func decode(_ frame: Frame) throws(LabelDecodingError) -> [DecodedLabel] {
        try decode(Self.grayPlane(of: frame))
    }

    /// The codes in an 8-bit gray image (`sa_zxing_decode_gray`).
    public func decode(_ image: GrayImage) throws(LabelDecodingError) -> [DecodedLabel] {
        guard image.width > 0, image.height > 0, image.pixels.count >= image.width * image.height else {
            throw LabelDecodingError(
                .badFrame, "a \(image.width)×\(image.height) gray image needs \(image.width * image.height) bytes, it has \(image.pixels.count)")
        }
        var results = [sa_zxing_result](repeating: sa_zxing_result(), count: maximumLabels)
        var message = [CChar](repeating: 0, count: Int(SA_ZXING_MESSAGE_CAPACITY))
        let count = image.pixels.withUnsafeBufferPointer { pixels in
            results.withUnsafeMutableBufferPointer { results in
                sa_zxing_decode_gray(
                    pixels.baseAddress, Int32(image.width), Int32(image.height), Int32(image.width), results.baseAddress,
                    Int32(results.count), &message)
            }
        }
        guard count >= 0 else {
            throw LabelDecodingError(
                .readerFailed, "the barcode reader failed on a frame (\(JPEG.text(message))): the frame is dropped; report this")
        }
        return results.prefix(Int(count)).compactMap(Self.label)
    }

    /// The gray plane of a frame: the Y bytes of YUYV, the decoded luma of MJPEG, gray as it is.
    /// - Throws: ``LabelDecodingError`` `.badFrame` when the byte count does not fit the size, `.corruptJPEG`.
    public static func grayPlane(of frame: Frame) throws(LabelDecodingError) -> GrayImage {
        if frame.format == .mjpeg { return try JPEG.decodeGray(frame.bytes) }
        guard frame.width > 0, frame.height > 0, frame.width <= JPEG.maximumSide, frame.height <= JPEG.maximumSide else {
            throw LabelDecodingError(
                .badFrame, "a \(frame.format.rawValue) frame of \(frame.width)×\(frame.height) pixels: check the camera's frame setting")
        }
        let pixels = frame.width * frame.height
        let needed = frame.format == .yuyv ? 2 * pixels : pixels
        guard frame.bytes.count >= needed else {
            throw LabelDecodingError(
                .badFrame,
                "a \(frame.width)×\(frame.height) \(frame.format.rawValue) frame needs \(needed) bytes, it has "
                    + "\(frame.bytes.count): the camera sent a partial frame (it is dropped); if every frame is short, "
                    + "the frame setting does not match what the camera sends")
        }
        if frame.format == .gray {
            return GrayImage(width: frame.width, height: frame.height, pixels: Array(frame.bytes.prefix(pixels)))
        }
        let gray = [UInt8](unsafeUninitializedCapacity: pixels) { buffer, initialized in
            frame.bytes.withUnsafeBufferPointer { yuyv in
                for index in 0..<pixels { buffer[index] = yuyv[2 * index] }
            }
            initialized = pixels
        }
        return GrayImage(width: frame.width, height: frame.height, pixels: gray)
    }

    private static func label(_ result: sa_zxing_result) -> DecodedLabel? {
        guard result.text_truncated == 0 else { return nil }
        var result = result
        let text = withUnsafeBytes(of: &result.text) { String(decoding: $0.prefix(Int(result.text_length)), as: UTF8.self) }
        let format = withUnsafeBytes(of: &result.format) { bytes in
            String(decoding: bytes.prefix { $0 != 0 }, as: UTF8.self)
        }
        let c = result.corners
        let corners = [Point(x: Int(c.0), y: Int(c.1)), Point(x: Int(c.2), y: Int(c.3)), Point(x: Int(c.4), y: Int(c.5)), Point(x: Int(c.6), y: Int(c.7))]
        return DecodedLabel(text: text, symbology: Symbology(rawValue: format), corners: corners)
    }
}
