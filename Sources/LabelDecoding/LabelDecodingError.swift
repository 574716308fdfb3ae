/// Why a frame gave no labels or no photo. Each says what happened and what to do; a bad frame is dropped and the
/// next one is read.
public struct LabelDecodingError: Error, Sendable, CustomStringConvertible {
    /// The kind of failure, for code that reacts to it (tests, counters). Open: kinds can be added.
    public struct Kind: Hashable, Sendable, CustomStringConvertible {
        private let name: String
        private init(_ name: String) { self.name = name }
        public var description: String { name }

        /// The frame's size or byte count does not fit its format (a partial frame, a wrong format setting).
        public static let badFrame = Kind("bad frame")
        /// libjpeg could not read an MJPEG frame (corrupt, cut short, not a JPEG).
        public static let corruptJPEG = Kind("corrupt JPEG")
        /// The barcode reader (ZXing) failed on the frame.
        public static let readerFailed = Kind("reader failed")
        /// A JPEG could not be written (the photo).
        public static let encodingFailed = Kind("encoding failed")
        /// Memory ran out.
        public static let outOfMemory = Kind("out of memory")
    }

    public let kind: Kind
    /// The whole sentence: what happened, and what to do.
    public let description: String

    init(_ kind: Kind, _ description: String) {
        self.kind = kind
        self.description = description
    }
}
