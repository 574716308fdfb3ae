import CommandCards
import LabelDecoding
import StationTestSupport
import Testing

/// The frames the decoder must read, drawn in code (StationTestSupport's SyntheticLabels).
enum Scene: String, CaseIterable, CustomTestStringConvertible {
    case clean, rotated10, noise15, blurred, clean3pxSetC, rotatedBlurredNoisy3px, twoLabels, productCode, empty

    static let tracking = "SF1234567890123"
    static let second = "YT9876543210987"
    static let product = EAN13.withCheckDigit("690123456789")

    var testDescription: String { rawValue }

    var image: SyntheticImage {
        switch self {
        case .clean: return labelFrame(Self.tracking)
        case .rotated10: return labelFrame(Self.tracking).rotated(degrees: 10)
        case .noise15: return labelFrame(Self.tracking).noisy(sigma: 15)
        case .blurred: return labelFrame(Self.tracking).blurred()
        case .clean3pxSetC: return labelFrame(Self.tracking, modulePixels: 3, digitsInSetC: true)
        // All three at once is too much at 2 px a module (ZXing reads none of the combinations of blur with noise
        // or rotation there); at 3 px, with the digits in set C so that the label fits, it reads σ 10.
        case .rotatedBlurredNoisy3px:
            return labelFrame(Self.tracking, modulePixels: 3, digitsInSetC: true).rotated(degrees: 10).blurred().noisy(sigma: 10)
        case .twoLabels:
            var image = SyntheticImage()
            image.drawLabel(modules: Code128.modules(Self.tracking), x: 60, y: 40)
            image.drawLabel(modules: Code128.modules(Self.second), x: 120, y: 280)
            return image
        case .productCode:
            var image = SyntheticImage()
            image.drawLabel(modules: EAN13.modules(Self.product), x: 150, y: 150, modulePixels: 3, barHeight: 120)
            return image
        case .empty: return SyntheticImage()
        }
    }

    /// What the decoder must read: text and symbology, in no particular order.
    var expected: Set<Read> {
        switch self {
        case .clean, .rotated10, .noise15, .blurred, .clean3pxSetC, .rotatedBlurredNoisy3px: return [Read(Self.tracking, .code128)]
        case .twoLabels: return [Read(Self.tracking, .code128), Read(Self.second, .code128)]
        case .productCode: return [Read(Self.product, .ean13)]
        case .empty: return []
        }
    }
}

struct Read: Hashable, CustomStringConvertible {
    let text: String
    let symbology: Symbology
    init(_ text: String, _ symbology: Symbology) {
        self.text = text
        self.symbology = symbology
    }
    init(_ label: DecodedLabel) { self.init(label.text, label.symbology) }
    var description: String { "\(symbology) \(text)" }
}

/// A frame of `image` as a camera would send it: YUYV bytes, or an MJPEG frame (the YUYV frame encoded by the
/// module's own JPEG encoder, a color JPEG like a camera's), or gray.
func cameraFrame(_ image: SyntheticImage, _ format: Frame.Format, at nanos: UInt64 = 0) throws -> Frame {
    let yuyv = Frame(width: image.width, height: image.height, format: .yuyv, bytes: image.yuyv, arrivalNanos: nanos)
    switch format {
    case .yuyv:
        return yuyv
    case .mjpeg:
        let jpeg = try PhotoEncoder(quality: 80).photo(of: yuyv)
        return Frame(width: image.width, height: image.height, format: .mjpeg, bytes: jpeg, arrivalNanos: nanos)
    case .gray:
        return Frame(width: image.width, height: image.height, format: .gray, bytes: image.pixels, arrivalNanos: nanos)
    }
}
