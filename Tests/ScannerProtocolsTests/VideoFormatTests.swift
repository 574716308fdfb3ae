import ScannerProtocols
import Testing

/// What `devices` lists for a camera: the formats of its Video Streaming descriptors (UVC 1.1 §3.9), read from bytes
/// a device sent, so malformed ones must end the walk, never trap.
@Suite("UVC video streaming descriptors")
struct VideoFormatTests {
    static func le16(_ value: Int) -> [UInt8] { [UInt8(value & 0xFF), UInt8(value >> 8)] }
    static func le32(_ value: Int) -> [UInt8] { (0..<4).map { UInt8((value >> (8 * $0)) & 0xFF) } }

    /// A frame descriptor (`subtype` 0x05 uncompressed, 0x07 MJPEG) with discrete intervals, or a continuous range.
    static func frame(_ subtype: UInt8, index: UInt8, _ width: Int, _ height: Int, intervals: [Int], continuous: Bool = false) -> [UInt8] {
        let body: [UInt8] =
            [0x24, subtype, index, 0] + le16(width) + le16(height) + le32(width * height * 16) + le32(width * height * 16 * 30)
            + le32(width * height * 2) + le32(intervals[0]) + [continuous ? 0 : UInt8(intervals.count)]
            + intervals.flatMap(le32)
        return [UInt8(body.count + 1)] + body
    }

    static let inputHeader: [UInt8] = [0x0E, 0x24, 0x01, 2] + le16(0) + [0x81, 0, 3, 0, 0, 0, 1, 0]
    static let mjpegFormat: [UInt8] = [0x0B, 0x24, 0x06, 1, 2, 1, 0, 0, 0, 0, 0]
    static let yuy2Format: [UInt8] =
        [0x1B, 0x24, 0x04, 2, 1] + Array("YUY2".utf8) + [0x00, 0x00, 0x10, 0x00, 0x80, 0x00, 0x00, 0xAA, 0x00, 0x38, 0x9B, 0x71]
        + [16, 1, 0, 0, 0, 0]
    static let nv12Format: [UInt8] = [0x1B, 0x24, 0x04, 3, 1] + Array("NV12".utf8) + [UInt8](repeating: 0, count: 12) + [12, 1, 0, 0, 0, 0]

    static var descriptors: [UInt8] {
        inputHeader + mjpegFormat + frame(0x07, index: 1, 640, 480, intervals: [333_333, 666_666, 2_000_000])
            + frame(0x07, index: 2, 1280, 720, intervals: [333_333]) + [6, 0x24, 0x0D, 1, 1, 4]  // a color matching descriptor
            + yuy2Format + frame(0x05, index: 1, 640, 480, intervals: [333_333, 10_000_000, 333_333], continuous: true)
            + nv12Format + frame(0x05, index: 1, 320, 240, intervals: [666_666])
    }

    @Test("MJPEG and YUYV with their sizes and rates, as frame writes them; a continuous range gives its ends")
    func formats() {
        let formats = VideoFormat.parse(Self.descriptors)
        #expect(formats.map(\.name) == ["MJPEG", "YUYV", "NV12"])
        #expect(formats.flatMap(\.modes) == [
            "MJPEG 640x480@30,15,5", "MJPEG 1280x720@30", "YUYV 640x480@30,1", "NV12 320x240@15",
        ])
    }

    @Test("a rate that is not whole shows as libuvc matches it (truncated): 7.5 frames/s is @7, 666,667 × 100 ns is @14")
    func ratesAreTruncatedAsLibuvcMatchesThem() {
        let formats = VideoFormat.parse(
            Self.inputHeader + Self.mjpegFormat + Self.frame(0x07, index: 1, 640, 480, intervals: [666_667, 1_333_333, 666_666]))
        #expect(formats.flatMap(\.modes) == ["MJPEG 640x480@15,14,7"])
    }

    @Test("truncated, zero-length and random descriptors end the walk without trapping")
    func malformed() {
        let whole = Self.descriptors
        for cut in 0..<whole.count {
            let formats = VideoFormat.parse(Array(whole.prefix(cut)))
            #expect(formats.count <= 3)
        }
        // A zero length would loop forever; a length past the end is not read.
        #expect(VideoFormat.parse([0, 0x24, 0x06] + whole).isEmpty)
        #expect(VideoFormat.parse([0xFF, 0x24, 0x06, 1]).isEmpty)
        // A frame before any format, and a frame descriptor too short for its intervals.
        #expect(VideoFormat.parse(Self.frame(0x07, index: 1, 640, 480, intervals: [333_333])).isEmpty)
        let short = Array(Self.frame(0x07, index: 1, 640, 480, intervals: [333_333, 666_666]).prefix(27))
        let parsed = VideoFormat.parse(Self.mjpegFormat + [UInt8(short.count)] + short.dropFirst())
        #expect(parsed.first?.sizes.first?.width == 640)
        var random = UInt64(15)
        for _ in 0..<2000 {
            let count = Int(random % 200)
            let bytes: [UInt8] = (0..<count).map { _ in
                random = random &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
                return UInt8(truncatingIfNeeded: random >> 33)
            }
            _ = VideoFormat.parse(bytes)
            _ = VideoFormat.parse(Self.mjpegFormat + bytes)
        }
    }
}
