/// One symbol read from a frame: a parcel label, or any other code that was in view.
public struct DecodedLabel: Sendable, Hashable {
    /// The symbol's text (UTF-8 as ZXing gives it).
    public var text: String
    /// What kind of symbol it was; the caller rejects what is not a parcel label (``Symbology/isRetailProductCode``).
    public var symbology: Symbology
    /// The symbol's four corners in pixels of the frame: top left, top right, bottom right, bottom left, with "top"
    /// as the symbol is read (a label upside down has its top left at the bottom right of the frame).
    public var corners: [Point]

    public init(text: String, symbology: Symbology, corners: [Point]) {
        self.text = text
        self.symbology = symbology
        self.corners = corners
    }
}

/// A point in a frame, in pixels from the top left.
public struct Point: Sendable, Hashable {
    public var x: Int
    public var y: Int

    public init(x: Int, y: Int) {
        self.x = x
        self.y = y
    }
}

/// A barcode symbology, named as ZXing-C++ names it ("Code128", "EAN-13", "QRCode").
///
/// Open like `Errno`: the reader may name a symbology that has no static member here, and members can be added.
public struct Symbology: RawRepresentable, Sendable, Hashable, CustomStringConvertible {
    public var rawValue: String

    public init(rawValue: String) { self.rawValue = rawValue }

    public var description: String { rawValue }

    /// Code 128: what most carriers print on parcel labels.
    public static let code128 = Symbology(rawValue: "Code128")
    /// Code 39.
    public static let code39 = Symbology(rawValue: "Code39")
    /// Code 93.
    public static let code93 = Symbology(rawValue: "Code93")
    /// EAN-13: a retail product code, not a parcel.
    public static let ean13 = Symbology(rawValue: "EAN-13")
    /// EAN-8: a retail product code, not a parcel.
    public static let ean8 = Symbology(rawValue: "EAN-8")
    /// UPC-A: a retail product code, not a parcel.
    public static let upcA = Symbology(rawValue: "UPC-A")
    /// Interleaved 2 of 5.
    public static let itf = Symbology(rawValue: "ITF")
    /// QR Code.
    public static let qrCode = Symbology(rawValue: "QRCode")
    /// Data Matrix.
    public static let dataMatrix = Symbology(rawValue: "DataMatrix")

    /// True for the codes printed on goods (EAN-13, EAN-8, UPC-A): a camera sees them on the parcel's contents or
    /// packaging, and they never name a parcel.
    public var isRetailProductCode: Bool { self == .ean13 || self == .ean8 || self == .upcA }
}
