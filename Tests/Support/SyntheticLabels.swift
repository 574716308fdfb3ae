public import CommandCards
#if canImport(Glibc)
import Glibc
#endif

/// Camera frames drawn in code, for the label decoder's tests and benchmark: parcel labels (Code 128) and product
/// codes (EAN-13) on a gray background, and what a camera does to them (rotation, noise, blur).
///
/// Test code only: the encoders here are just enough to draw valid symbols.
public struct SyntheticImage: Sendable, Equatable {
    public var width: Int
    public var height: Int
    /// `width × height` 8-bit gray pixels, row after row.
    public var pixels: [UInt8]

    /// A frame of one gray level (default: a gray table under the camera).
    public init(width: Int = 640, height: Int = 480, background: UInt8 = 120) {
        self.width = width
        self.height = height
        pixels = [UInt8](repeating: background, count: width * height)
    }

    /// The frame as YUYV (YUY2) bytes: Y is the gray level, U and V are neutral.
    public var yuyv: [UInt8] {
        var bytes = [UInt8](repeating: 128, count: 2 * pixels.count)
        for index in pixels.indices { bytes[2 * index] = pixels[index] }
        return bytes
    }

    /// Fills a rectangle (clipped to the frame).
    public mutating func fill(x: Int, y: Int, width w: Int, height h: Int, level: UInt8) {
        for row in max(0, y)..<min(height, y + h) {
            for column in max(0, x)..<min(width, x + w) { pixels[row * width + column] = level }
        }
    }

    /// Draws a label: a white sticker with the modules (`true` = bar) `modulePixels` wide and `barHeight` tall (a label about 3.5 times as wide as tall), the
    /// sticker's top left at (`x`, `y`), with a quiet zone of 10 modules each side.
    public mutating func drawLabel(modules: [Bool], x: Int, y: Int, modulePixels: Int = 2, barHeight: Int = 120) {
        let quiet = 10 * modulePixels
        fill(x: x, y: y, width: modules.count * modulePixels + 2 * quiet, height: barHeight + 2 * quiet, level: 235)
        for (index, bar) in modules.enumerated() where bar {
            fill(x: x + quiet + index * modulePixels, y: y + quiet, width: modulePixels, height: barHeight, level: 25)
        }
    }

    /// The frame rotated by `degrees` about its center (bilinear, as a lens blends neighbouring pixels; what falls
    /// outside is `background`).
    public func rotated(degrees: Double, background: UInt8 = 120) -> SyntheticImage {
        var result = SyntheticImage(width: width, height: height, background: background)
        let angle = degrees * Double.pi / 180
        let (c, s) = (cos(angle), sin(angle))
        let cx = Double(width) / 2
        let cy = Double(height) / 2
        for row in 0..<height {
            for column in 0..<width {
                let dx = Double(column) - cx
                let dy = Double(row) - cy
                let sx = c * dx + s * dy + cx
                let sy = -s * dx + c * dy + cy
                let x0 = Int(sx.rounded(.down))
                let y0 = Int(sy.rounded(.down))
                guard x0 >= 0, x0 + 1 < width, y0 >= 0, y0 + 1 < height else { continue }
                let fx = sx - Double(x0)
                let fy = sy - Double(y0)
                func at(_ x: Int, _ y: Int) -> Double { Double(pixels[y * width + x]) }
                let top = at(x0, y0) * (1 - fx) + at(x0 + 1, y0) * fx
                let bottom = at(x0, y0 + 1) * (1 - fx) + at(x0 + 1, y0 + 1) * fx
                result.pixels[row * width + column] = UInt8((top * (1 - fy) + bottom * fy).rounded())
            }
        }
        return result
    }

    /// The frame with Gaussian noise of standard deviation `sigma` (Box-Muller over a seeded generator: the same
    /// noise every run).
    public func noisy(sigma: Double, seed: UInt64 = 15) -> SyntheticImage {
        var result = self
        var random = SplitMix64(seed: seed)
        for index in pixels.indices {
            let u1 = max(random.nextUnit(), 1e-12)
            let u2 = random.nextUnit()
            let normal = (-2 * log(u1)).squareRoot() * cos(2 * Double.pi * u2)
            let value = Double(pixels[index]) + sigma * normal
            result.pixels[index] = UInt8(min(max(value.rounded(), 0), 255))
        }
        return result
    }

    /// The frame through a 3×3 box blur (edges clamped).
    public func blurred() -> SyntheticImage {
        var result = self
        for row in 0..<height {
            for column in 0..<width {
                var sum = 0
                for dy in -1...1 {
                    for dx in -1...1 {
                        let y = min(max(row + dy, 0), height - 1)
                        let x = min(max(column + dx, 0), width - 1)
                        sum += Int(pixels[y * width + x])
                    }
                }
                result.pixels[row * width + column] = UInt8((sum + 4) / 9)
            }
        }
        return result
    }
}

/// The one parcel-label frame the tests and the benchmark share: `text` as Code 128 (code set B, or with its
/// trailing digits in set C) at `modulePixels` (default 2) a module, centered on a 640×480 gray frame.
public func labelFrame(_ text: String = "SF1234567890123", modulePixels: Int = 2, digitsInSetC: Bool = false) -> SyntheticImage {
    var image = SyntheticImage()
    let modules = Code128.modules(text, digitsInSetC: digitsInSetC)
    image.drawLabel(
        modules: modules, x: (640 - (modules.count + 20) * modulePixels) / 2, y: 180, modulePixels: modulePixels)
    return image
}

extension Code128 {
    /// Code set C's switch value (two digits a symbol, as most carriers print). The cards need set B only.
    static let codeC = 99

    /// The modules (`true` = bar) of `text` (ASCII 32-127) with CommandCards' patterns and check value: start B,
    /// the characters (a trailing run of 4 or more digits in set C when `digitsInSetC`), the check value, stop.
    public static func modules(_ text: String, digitsInSetC: Bool = false) -> [Bool] {
        let scalars = Array(text.unicodeScalars)
        precondition(scalars.allSatisfy { (32..<128).contains($0.value) }, "Code 128 B draws ASCII 32-127 only")
        let digitRun = scalars.reversed().prefix { ("0"..."9").contains($0) }.count
        // Set C takes an even number of digits: an odd one out stays in set B.
        let inC = digitsInSetC && digitRun >= 4 ? digitRun - digitRun % 2 : 0
        var values = [startB] + scalars.prefix(scalars.count - inC).map { Int($0.value) - 32 }
        if inC > 0 {
            values.append(codeC)
            let digits = scalars.suffix(inC).map { Int($0.value) - 48 }
            for pair in stride(from: 0, to: inC, by: 2) { values.append(digits[pair] * 10 + digits[pair + 1]) }
        }
        var modules: [Bool] = []
        for value in values + [checkValue(values), stop] {
            var bar = true
            for width in patterns[value] {
                modules += [Bool](repeating: bar, count: Int(width))
                bar.toggle()
            }
        }
        return modules
    }
}

/// EAN-13 (the 12 digits given, the check digit added): a product code, which a parcel may carry too.
public enum EAN13 {
    static let left = ["0001101", "0011001", "0010011", "0111101", "0100011", "0110001", "0101111", "0111011", "0110111", "0001011"]
    static let parity = ["LLLLLL", "LLGLGG", "LLGGLG", "LLGGGL", "LGLLGG", "LGGLLG", "LGGGLL", "LGLGLG", "LGLGGL", "LGGLGL"]

    /// The 13 digits: the 12 given and their check digit.
    public static func withCheckDigit(_ twelve: String) -> String {
        let digits = twelve.map { Int(String($0))! }
        precondition(digits.count == 12)
        let sum = digits.enumerated().reduce(0) { $0 + $1.element * ($1.offset % 2 == 0 ? 1 : 3) }
        return twelve + String((10 - sum % 10) % 10)
    }

    /// The 95 modules of the 13 digits `code`.
    public static func modules(_ code: String) -> [Bool] {
        let digits = code.map { Int(String($0))! }
        precondition(digits.count == 13)
        var pattern = "101"
        for (index, digit) in digits[1...6].enumerated() {
            let l = left[digit]
            if Array(parity[digits[0]])[index] == "L" {
                pattern += l
            } else {
                pattern += String(String(l.map { $0 == "0" ? "1" : "0" }).reversed())
            }
        }
        pattern += "01010"
        for digit in digits[7...12] { pattern += String(left[digit].map { $0 == "0" ? "1" : "0" }) }
        pattern += "101"
        return pattern.map { $0 == "1" }
    }
}

/// A small seeded generator (SplitMix64): the same frames every run.
struct SplitMix64 {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
    /// A value in [0, 1).
    mutating func nextUnit() -> Double { Double(next() >> 11) / Double(1 << 53) }
}
