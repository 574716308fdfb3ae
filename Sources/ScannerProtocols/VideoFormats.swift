/// The video formats a UVC camera's descriptors offer (UVC 1.1 §3.9, the class-specific Video Streaming
/// descriptors after the streaming interface), read without opening the device: what `devices` lists for a camera
/// release device, in the words of the configuration's `frame` key.
///
/// The bytes come from the device: every length is checked, a malformed descriptor ends the walk, nothing traps.
public struct VideoFormat: Sendable, Hashable, CustomStringConvertible {
    /// `MJPEG`, `YUYV`, or the four characters of another uncompressed format's GUID (`NV12`), else `format N`.
    public let name: String
    public let sizes: [Size]

    public struct Size: Sendable, Hashable, CustomStringConvertible {
        public let width: Int
        public let height: Int
        /// Whole frames per second, fastest first (a continuous range gives its ends).
        public let framesPerSecond: [Int]

        public var description: String {
            "\(width)x\(height)" + (framesPerSecond.isEmpty ? "" : "@" + framesPerSecond.map(String.init).joined(separator: ","))
        }
    }

    /// One line per size: `MJPEG 640x480@30,15,5`.
    public var modes: [String] { sizes.map { "\(name) \($0)" } }
    public var description: String { modes.joined(separator: "; ") }

    /// The formats in class-specific Video Streaming descriptors (`CS_INTERFACE`, 0x24), in descriptor order.
    public static func parse(_ bytes: [UInt8]) -> [VideoFormat] {
        var formats: [(name: String, sizes: [Size])] = []
        var offset = 0
        while offset + 2 < bytes.count {
            let length = Int(bytes[offset])
            guard length >= 3, offset + length <= bytes.count else { break }
            let descriptor = bytes[offset..<(offset + length)]
            offset += length
            guard descriptor[descriptor.startIndex + 1] == csInterface else { continue }
            let d = Array(descriptor)
            switch d[2] {
            case formatUncompressed where d.count >= 27:
                formats.append((fourCC(Array(d[5..<9])), []))
            case formatMJPEG where d.count >= 11:
                formats.append(("MJPEG", []))
            case frameUncompressed, frameMJPEG:
                guard !formats.isEmpty, let size = frame(d) else { continue }
                formats[formats.count - 1].sizes.append(size)
            case formatFrameBased where d.count >= 28:
                formats.append((fourCC(Array(d[5..<9])), []))
            case frameFrameBased:
                guard !formats.isEmpty, let size = frame(d, intervalsAt: 26, typeAt: 21) else { continue }
                formats[formats.count - 1].sizes.append(size)
            default:
                continue
            }
        }
        return formats.map { VideoFormat(name: $0.name, sizes: $0.sizes) }
    }

    /// A frame descriptor: size and intervals (100 ns units), discrete or a continuous min/max/step.
    static func frame(_ d: [UInt8], intervalsAt first: Int = 26, typeAt typeOffset: Int = 25) -> Size? {
        guard d.count > typeOffset else { return nil }
        let width = Int(d[5]) | Int(d[6]) << 8
        let height = Int(d[7]) | Int(d[8]) << 8
        let type = Int(d[typeOffset])
        let count = type == 0 ? 2 : type
        var rates: [Int] = []
        for index in 0..<count {
            let at = first + 4 * index
            guard at + 4 <= d.count else { break }
            let interval = Int(d[at]) | Int(d[at + 1]) << 8 | Int(d[at + 2]) << 16 | Int(d[at + 3]) << 24
            guard interval > 0 else { continue }
            // Truncated, as libuvc matches a requested rate (10,000,000 / interval == fps): 7.5 frames/s shows as
            // 7, which `frame = "…@7"` then gets; rounded, it would show as 8, which the camera is then refused.
            let rate = 10_000_000 / interval
            if rate > 0 && !rates.contains(rate) { rates.append(rate) }
        }
        return Size(width: width, height: height, framesPerSecond: rates.sorted(by: >))
    }

    /// `YUY2` is what Linux calls YUYV; others as their four characters (printable ASCII), else hex.
    static func fourCC(_ guid: [UInt8]) -> String {
        if guid == Array("YUY2".utf8) { return "YUYV" }
        if guid.allSatisfy({ (0x21...0x7E).contains($0) }) { return String(decoding: guid, as: UTF8.self) }
        return guid.map { String($0, radix: 16) }.joined()
    }

    /// The video class and its streaming subclass: the interface whose extra descriptors ``parse(_:)`` reads.
    public static let videoClass: UInt8 = 0x0E
    public static let streamingSubclass: UInt8 = 0x02
    static let csInterface: UInt8 = 0x24
    static let formatUncompressed: UInt8 = 0x04
    static let frameUncompressed: UInt8 = 0x05
    static let formatMJPEG: UInt8 = 0x06
    static let frameMJPEG: UInt8 = 0x07
    static let formatFrameBased: UInt8 = 0x10
    static let frameFrameBased: UInt8 = 0x11
}
