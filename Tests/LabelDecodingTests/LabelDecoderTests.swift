import LabelDecoding
import StationTestSupport
import Testing

@Suite("label decoder")
struct LabelDecoderTests {
    @Test("reads what is in the frame, as YUYV and as MJPEG", arguments: Scene.allCases, [Frame.Format.yuyv, .mjpeg, .gray])
    func readsScene(scene: Scene, format: Frame.Format) throws {
        let labels = try LabelDecoder().decode(cameraFrame(scene.image, format))
        #expect(Set(labels.map(Read.init)) == scene.expected)
        #expect(labels.count == scene.expected.count, "each symbol once: \(labels)")
    }

    @Test("a product code is read as EAN-13, so the caller can reject it")
    func productCode() throws {
        let labels = try LabelDecoder().decode(cameraFrame(Scene.productCode.image, .yuyv))
        let label = try #require(labels.first)
        #expect(label.symbology == .ean13)
        #expect(label.symbology.isRetailProductCode)
        #expect(!Symbology.code128.isRetailProductCode)
    }

    @Test("the corners are where the label was drawn")
    func corners() throws {
        // labelFrame: the bars start 20 px into a sticker at x = (640 - 440) / 2 = 100 and y = 180, 120 px tall.
        let label = try #require(try LabelDecoder().decode(cameraFrame(Scene.clean.image, .yuyv)).first)
        #expect(label.corners.count == 4)
        for corner in label.corners {
            #expect((100...540).contains(corner.x), "\(label.corners)")
            #expect((180...360).contains(corner.y), "\(label.corners)")
        }
        let xs = label.corners.map(\.x)
        #expect(xs.max()! - xs.min()! > 300, "the corners span the symbol: \(label.corners)")
    }

    @Test("a 15-character tracking number is read exactly, for several numbers")
    func severalNumbers() throws {
        for text in ["SF1234567890123", "JT0000000000001", "YT4321987650000", "ZTO778899001122"] {
            let labels = try LabelDecoder().decode(cameraFrame(labelFrame(text), .mjpeg))
            #expect(labels.map(\.text) == [text])
        }
    }

    @Test("corrupt MJPEG frames are errors, not crashes", arguments: CorruptJPEG.allCases)
    func corruptJPEG(kind: CorruptJPEG) throws {
        let good = try cameraFrame(Scene.clean.image, .mjpeg)
        var frame = good
        frame.bytes = kind.corrupt(good.bytes)
        do {
            let labels = try LabelDecoder().decode(frame)
            // Damage inside the entropy-coded data is only a warning to libjpeg: it may decode to a damaged image.
            #expect(kind == .flippedMiddle, "decoded \(labels) from a \(kind) JPEG")
        } catch {
            #expect(error.kind == .corruptJPEG)
            #expect(error.description.contains("dropped"), "says what happens: \(error)")
        }
    }

    @Test("a YUYV or gray frame shorter than its size is a bad frame")
    func partialFrame() throws {
        for format in [Frame.Format.yuyv, .gray] {
            var frame = try cameraFrame(Scene.clean.image, format)
            frame.bytes.removeLast(1000)
            #expect(throws: LabelDecodingError.self) { try LabelDecoder().decode(frame) }
            do {
                _ = try LabelDecoder().decode(frame)
            } catch {
                #expect(error.kind == .badFrame)
            }
        }
        #expect(throws: LabelDecodingError.self) {
            try LabelDecoder().decode(Frame(width: 0, height: 480, format: .yuyv, bytes: [], arrivalNanos: 0))
        }
    }

    @Test("an MJPEG frame is read at the size its JPEG says")
    func jpegSize() throws {
        var frame = try cameraFrame(Scene.clean.image, .mjpeg)
        frame.width = 1280
        frame.height = 720
        let gray = try LabelDecoder.grayPlane(of: frame)
        #expect(gray.width == 640 && gray.height == 480)
        #expect(try LabelDecoder().decode(frame).map(\.text) == [Scene.tracking])
    }
}

enum CorruptJPEG: String, CaseIterable, CustomTestStringConvertible {
    case empty, garbage, truncated, headerOnly, flippedMiddle
    var testDescription: String { rawValue }

    func corrupt(_ jpeg: [UInt8]) -> [UInt8] {
        switch self {
        case .empty: return []
        case .garbage: return (0..<5000).map { UInt8(truncatingIfNeeded: $0 &* 7919 >> 3) }
        case .truncated: return Array(jpeg.prefix(jpeg.count / 2))
        case .headerOnly: return Array(jpeg.prefix(600))
        case .flippedMiddle:
            var bytes = jpeg
            for index in stride(from: bytes.count / 3, to: bytes.count * 2 / 3, by: 97) { bytes[index] ^= 0x5A }
            return bytes
        }
    }
}
