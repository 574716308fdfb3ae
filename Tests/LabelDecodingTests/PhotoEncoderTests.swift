import LabelDecoding
import StationTestSupport
import Testing

@Suite("photo encoder")
struct PhotoEncoderTests {
    @Test("an MJPEG frame is its own photo, byte for byte")
    func mjpegUnchanged() throws {
        let frame = try cameraFrame(Scene.clean.image, .mjpeg)
        #expect(try PhotoEncoder().photo(of: frame) == frame.bytes)
    }

    @Test("the photo of a YUYV or gray frame is a JPEG the label reads from again", arguments: [Frame.Format.yuyv, .gray])
    func photoReadsBack(format: Frame.Format) throws {
        for scene in [Scene.clean, .rotatedBlurredNoisy3px, .twoLabels] {
            let frame = try cameraFrame(scene.image, format)
            let photo = try PhotoEncoder().photo(of: frame)
            #expect(photo.prefix(2) == [0xFF, 0xD8] && photo.suffix(2) == [0xFF, 0xD9], "a whole JPEG")
            #expect(photo.count < frame.bytes.count / 3, "compressed: \(photo.count) bytes")
            let saved = Frame(width: frame.width, height: frame.height, format: .mjpeg, bytes: photo, arrivalNanos: 0)
            let gray = try LabelDecoder.grayPlane(of: saved)
            #expect(gray.width == 640 && gray.height == 480)
            #expect(Set(try LabelDecoder().decode(saved).map(Read.init)) == scene.expected, "\(scene)")
        }
    }

    @Test("the gray plane of a photo is close to the frame's (quality 80)")
    func photoIsFaithful() throws {
        let image = Scene.noise15.image
        let photo = try PhotoEncoder().photo(of: cameraFrame(image, .yuyv))
        let gray = try LabelDecoder.grayPlane(of: Frame(width: 640, height: 480, format: .mjpeg, bytes: photo, arrivalNanos: 0))
        let error = zip(gray.pixels, image.pixels).reduce(0) { $0 + abs(Int($1.0) - Int($1.1)) }
        #expect(Double(error) / Double(image.pixels.count) < 12, "mean absolute error \(Double(error) / Double(image.pixels.count))")
    }

    @Test("a partial or odd-width frame is an error, not a photo")
    func badFrames() throws {
        var frame = try cameraFrame(Scene.clean.image, .yuyv)
        frame.bytes.removeLast(10)
        #expect(throws: LabelDecodingError.self) { try PhotoEncoder().photo(of: frame) }
        let odd = Frame(width: 3, height: 2, format: .yuyv, bytes: [UInt8](repeating: 128, count: 12), arrivalNanos: 0)
        #expect(throws: LabelDecodingError.self) { try PhotoEncoder().photo(of: odd) }
    }
}
