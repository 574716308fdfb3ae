/// Why a HID report descriptor could not be read.
///
/// The reader falls back to ``HIDPOSLayout/honeywell`` on any of these, so they carry the byte offset
/// for the log rather than a recovery path.
public enum HIDDescriptorError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The descriptor has no items.
    case empty
    /// An item's data runs past the end of the descriptor.
    case truncatedItem(offset: Int)
    /// End Collection without Collection, or a collection left open at the end.
    case unbalancedCollection(offset: Int)
    /// Collections or Push items nested deeper than any real device needs.
    case nestingTooDeep(offset: Int)
    /// Report ID 0 (reserved) or larger than 255.
    case invalidReportID(offset: Int)
    /// A report longer than HID allows; reading on would only compute nonsense offsets.
    case reportTooLong(offset: Int)

    public var description: String {
        switch self {
        case .empty: "empty report descriptor"
        case .truncatedItem(let offset): "item at byte \(offset) runs past the end of the descriptor"
        case .unbalancedCollection(let offset): "unbalanced collection at byte \(offset)"
        case .nestingTooDeep(let offset): "nesting too deep at byte \(offset)"
        case .invalidReportID(let offset): "invalid report ID at byte \(offset)"
        case .reportTooLong(let offset): "report too long at byte \(offset)"
        }
    }
}

/// The reports a HID device declares, as far as decoding a scanner needs: which fields (by usage)
/// sit at which bit offsets of which report.
///
/// Only short items that shape report layout are interpreted (Usage Page, Usage, Usage Minimum/Maximum,
/// Report ID, Report Size, Report Count, Push/Pop, Input/Output/Feature, Collection/End Collection);
/// long items and everything else are skipped. Usages are extended (usage page in the high 16 bits), so
/// `0x008C_00FE` is "Decoded Data" of the Bar Code Scanner page.
public struct HIDReportDescriptor: Sendable, Hashable {
    /// Which main item declared a field.
    public enum ReportKind: String, Sendable, Hashable {
        case input, output, feature
    }

    /// One Input, Output or Feature main item: `count` values of `size` bits each.
    public struct Field: Sendable, Hashable {
        public var kind: ReportKind
        /// The report ID, or 0 when the descriptor uses no report IDs.
        public var reportID: UInt8
        /// Bit offset of the first value in the report, not counting the report ID byte.
        public var bitOffset: Int
        /// Report Size: bits per value.
        public var size: Int
        /// Report Count: number of values.
        public var count: Int
        /// Usages listed for the field, in order (the last one applies to any further values).
        public var usages: [UInt32]
        /// A Usage Minimum/Maximum range, when the field was declared with one.
        public var usageRange: ClosedRange<UInt32>?
        /// Constant (padding) fields carry no usages and no data.
        public var isConstant: Bool
        /// Usages of the enclosing collections, outermost first.
        public var collections: [UInt32]

        /// Total bits of the field.
        public var bitLength: Int { size * count }

        /// Whether a value of this field carries `usage`.
        public func contains(usage: UInt32) -> Bool {
            usages.contains(usage) || (usageRange?.contains(usage) ?? false)
        }

        /// Bit offset (from after the report ID byte) of the value that carries `usage`, or nil.
        public func bitOffset(of usage: UInt32) -> Int? {
            guard count > 0 else { return nil }
            if let index = usages.firstIndex(of: usage) {
                return bitOffset + min(index, count - 1) * size
            }
            if let range = usageRange, range.contains(usage) {
                let index = Int(usage - range.lowerBound)
                return index < count ? bitOffset + index * size : nil
            }
            return nil
        }
    }

    /// Every Input, Output and Feature field, in descriptor order.
    public private(set) var fields: [Field] = []
    /// True when reports start with a report ID byte.
    public private(set) var usesReportIDs = false
    /// Every usage page named by a Usage Page item or an extended usage.
    public private(set) var usagePages: Set<UInt16> = []

    /// Parses `bytes`.
    /// - Throws: ``HIDDescriptorError`` when the descriptor is truncated, unbalanced or absurd.
    public init(parsing bytes: some Collection<UInt8>) throws(HIDDescriptorError) {
        try self.init(bytes: Array(bytes))
    }

    private init(bytes: [UInt8]) throws(HIDDescriptorError) {
        guard !bytes.isEmpty else { throw .empty }
        var globals = Globals()
        var globalStack: [Globals] = []
        var usages: [UInt32] = []
        var usageMinimum: UInt32?
        var usageMaximum: UInt32?
        var collections: [UInt32] = []
        var bitCursor: [ReportCursorKey: Int] = [:]
        let maximumDepth = 32
        let maximumReportBits = 8 * 65_535

        func extended(_ value: UInt32, size: Int) -> UInt32 {
            size == 4 ? value : UInt32(globals.usagePage) << 16 | (value & 0xFFFF)
        }

        var index = 0
        while index < bytes.count {
            let offset = index
            let prefix = bytes[index]
            if prefix == 0xFE {  // long item: bDataSize, bLongItemTag, data
                guard index + 2 < bytes.count else { throw .truncatedItem(offset: offset) }
                let next = index + 3 + Int(bytes[index + 1])
                guard next <= bytes.count else { throw .truncatedItem(offset: offset) }
                index = next
                continue
            }
            let size = [0, 1, 2, 4][Int(prefix & 0x03)]
            guard index + 1 + size <= bytes.count else { throw .truncatedItem(offset: offset) }
            var value: UInt32 = 0
            for byteIndex in 0..<size {
                value |= UInt32(bytes[index + 1 + byteIndex]) << (8 * byteIndex)
            }
            index += 1 + size
            let type = (prefix >> 2) & 0x03
            let tag = prefix >> 4

            switch (type, tag) {
            // Main items
            case (0, 0x8), (0, 0x9), (0, 0xB):
                let kind: ReportKind = tag == 0x8 ? .input : tag == 0x9 ? .output : .feature
                let key = ReportCursorKey(kind: kind, reportID: globals.reportID)
                let start = bitCursor[key, default: 0]
                let (length, overflow) = globals.reportSize.multipliedReportingOverflow(by: globals.reportCount)
                guard !overflow, length <= maximumReportBits - start else { throw .reportTooLong(offset: offset) }
                var range: ClosedRange<UInt32>?
                if let low = usageMinimum, let high = usageMaximum, low <= high {
                    range = low...high
                }
                fields.append(
                    Field(
                        kind: kind, reportID: globals.reportID, bitOffset: start, size: globals.reportSize,
                        count: globals.reportCount, usages: usages, usageRange: range,
                        isConstant: value & 0x01 != 0, collections: collections))
                bitCursor[key] = start + length
                usages = []
                usageMinimum = nil
                usageMaximum = nil
            case (0, 0xA):
                guard collections.count < maximumDepth else { throw .nestingTooDeep(offset: offset) }
                collections.append(usages.first ?? usageMinimum ?? 0)
                usages = []
                usageMinimum = nil
                usageMaximum = nil
            case (0, 0xC):
                guard !collections.isEmpty else { throw .unbalancedCollection(offset: offset) }
                collections.removeLast()
                usages = []
                usageMinimum = nil
                usageMaximum = nil
            // Global items
            case (1, 0x0):
                globals.usagePage = UInt16(truncatingIfNeeded: value)
                usagePages.insert(globals.usagePage)
            case (1, 0x7):
                globals.reportSize = Int(value)
            case (1, 0x8):
                guard value >= 1, value <= 255 else { throw .invalidReportID(offset: offset) }
                globals.reportID = UInt8(value)
                usesReportIDs = true
            case (1, 0x9):
                globals.reportCount = Int(value)
            case (1, 0xA):
                guard globalStack.count < maximumDepth else { throw .nestingTooDeep(offset: offset) }
                globalStack.append(globals)
            case (1, 0xB):
                if let saved = globalStack.popLast() { globals = saved }
            // Local items
            case (2, 0x0):
                if size == 4 { usagePages.insert(UInt16(value >> 16)) }
                usages.append(extended(value, size: size))
            case (2, 0x1):
                usageMinimum = extended(value, size: size)
            case (2, 0x2):
                usageMaximum = extended(value, size: size)
            default:
                break  // logical/physical extents, units, designators, strings, delimiters: not needed
            }
        }
        guard collections.isEmpty else { throw .unbalancedCollection(offset: bytes.count) }
    }

    /// Every report ID declared for reports of `kind` (0 when the descriptor uses no IDs).
    public func reportIDs(_ kind: ReportKind) -> [UInt8] {
        var ids: [UInt8] = []
        for field in fields where field.kind == kind && !ids.contains(field.reportID) {
            ids.append(field.reportID)
        }
        return ids
    }

    /// Length in bytes of a report as it travels on the wire, including the report ID byte if any.
    public func reportLength(_ kind: ReportKind, reportID: UInt8) -> Int {
        let bits =
            fields.filter { $0.kind == kind && $0.reportID == reportID }
            .map { $0.bitOffset + $0.bitLength }.max() ?? 0
        return (bits + 7) / 8 + (usesReportIDs ? 1 : 0)
    }

    /// The first non-constant field of `kind` carrying `usage`.
    public func field(_ kind: ReportKind, usage: UInt32) -> Field? {
        fields.first { $0.kind == kind && !$0.isConstant && $0.contains(usage: usage) }
    }

    /// Whether any item names `page`, scanning leniently so that a descriptor this parser rejects can
    /// still be recognised (detection must not depend on the descriptor being perfect).
    public static func mentionsUsagePage(_ page: UInt16, in bytes: some Collection<UInt8>) -> Bool {
        let bytes = Array(bytes)
        var index = 0
        while index < bytes.count {
            let prefix = bytes[index]
            if prefix == 0xFE {
                guard index + 1 < bytes.count else { return false }
                index += 3 + Int(bytes[index + 1])
                continue
            }
            let size = [0, 1, 2, 4][Int(prefix & 0x03)]
            guard index + 1 + size <= bytes.count else { return false }
            var value: UInt32 = 0
            for byteIndex in 0..<size {
                value |= UInt32(bytes[index + 1 + byteIndex]) << (8 * byteIndex)
            }
            let type = (prefix >> 2) & 0x03
            let tag = prefix >> 4
            if type == 1, tag == 0, UInt16(truncatingIfNeeded: value) == page { return true }
            if type == 2, tag <= 2, size == 4, UInt16(value >> 16) == page { return true }
            index += 1 + size
        }
        return false
    }
}

private struct Globals {
    var usagePage: UInt16 = 0
    var reportSize = 0
    var reportCount = 0
    var reportID: UInt8 = 0
}

private struct ReportCursorKey: Hashable {
    var kind: HIDReportDescriptor.ReportKind
    var reportID: UInt8
}
