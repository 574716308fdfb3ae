internal import CJPEGShim

/// libjpeg-turbo through the CJPEGShim functions, which keep libjpeg's error handling (exit, stderr) out.
enum JPEG {
    /// The largest side a frame may have (SA_JPEG_MAX_SIDE): anything larger is not a camera frame.
    static let maximumSide = Int(SA_JPEG_MAX_SIDE)

    /// The gray plane of a JPEG (`sa_jpeg_dimensions`, then `sa_jpeg_decode_gray`).
    static func decodeGray(_ data: [UInt8]) throws(LabelDecodingError) -> GrayImage {
        var message = [CChar](repeating: 0, count: Int(SA_JPEG_MESSAGE_CAPACITY))
        var width: Int32 = 0
        var height: Int32 = 0
        let header = data.withUnsafeBufferPointer { sa_jpeg_dimensions($0.baseAddress, $0.count, &width, &height, &message) }
        guard header == Int32(SA_JPEG_OK) else { throw failure(header, message, doing: "read the header of an MJPEG frame") }
        guard width > 0, height > 0, Int(width) <= maximumSide, Int(height) <= maximumSide else {
            throw LabelDecodingError(
                .corruptJPEG,
                "an MJPEG frame says it is \(width)×\(height) pixels, outside 1-\(maximumSide): the frame is corrupt and "
                    + "dropped; if every frame says so, check the camera's frame setting")
        }
        let count = Int(width) * Int(height)
        var result = Int32(SA_JPEG_OK)
        let pixels = [UInt8](unsafeUninitializedCapacity: count) { buffer, initialized in
            result = data.withUnsafeBufferPointer {
                sa_jpeg_decode_gray($0.baseAddress, $0.count, buffer.baseAddress, width, height, &message)
            }
            // On failure the bytes are not used; they are still all set so the array is valid.
            if result != Int32(SA_JPEG_OK) { buffer.initialize(repeating: 0) }
            initialized = count
        }
        guard result == Int32(SA_JPEG_OK) else { throw failure(result, message, doing: "decode an MJPEG frame") }
        return GrayImage(width: Int(width), height: Int(height), pixels: pixels)
    }

    /// A JPEG of an 8-bit gray image (`sa_jpeg_encode_gray`).
    static func encodeGray(_ pixels: [UInt8], width: Int, height: Int, quality: Int) throws(LabelDecodingError) -> [UInt8] {
        try encode { output, size, message in
            pixels.withUnsafeBufferPointer {
                sa_jpeg_encode_gray($0.baseAddress, Int32(width), Int32(height), Int32(width), Int32(quality), output, size, message)
            }
        }
    }

    /// A YCbCr JPEG of a YUYV image (`sa_jpeg_encode_yuyv`).
    static func encodeYUYV(_ bytes: [UInt8], width: Int, height: Int, quality: Int) throws(LabelDecodingError) -> [UInt8] {
        try encode { output, size, message in
            bytes.withUnsafeBufferPointer {
                sa_jpeg_encode_yuyv($0.baseAddress, Int32(width), Int32(height), Int32(2 * width), Int32(quality), output, size, message)
            }
        }
    }

    private static func encode(
        _ call: (UnsafeMutablePointer<UnsafeMutablePointer<UInt8>?>, UnsafeMutablePointer<Int>, UnsafeMutablePointer<CChar>) -> Int32
    ) throws(LabelDecodingError) -> [UInt8] {
        var message = [CChar](repeating: 0, count: Int(SA_JPEG_MESSAGE_CAPACITY))
        var output: UnsafeMutablePointer<UInt8>?
        var size = 0
        let result = message.withUnsafeMutableBufferPointer { call(&output, &size, $0.baseAddress!) }
        guard result == Int32(SA_JPEG_OK), let output else {
            throw LabelDecodingError(
                result == Int32(SA_JPEG_NO_MEMORY) ? .outOfMemory : .encodingFailed,
                "cannot write the photo as a JPEG (\(text(message))): the release is recorded without a photo; "
                    + "report this with the camera's model")
        }
        defer { sa_jpeg_free(output) }
        return Array(UnsafeBufferPointer(start: output, count: size))
    }

    private static func failure(_ code: Int32, _ message: [CChar], doing what: String) -> LabelDecodingError {
        if code == Int32(SA_JPEG_NO_MEMORY) {
            return LabelDecodingError(.outOfMemory, "out of memory to \(what) (\(text(message))): the frame is dropped")
        }
        return LabelDecodingError(
            .corruptJPEG,
            "cannot \(what) (\(text(message))): the frame is dropped; if this happens for every frame, check the USB "
                + "cable and hub (a camera short of bandwidth sends cut frames) or set the camera to YUYV")
    }

    static func text(_ message: [CChar]) -> String {
        let bytes = message.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }
        return String(decoding: bytes, as: UTF8.self)
    }
}
