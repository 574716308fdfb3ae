/// HID POS usages (usage page 0x8C, Bar Code Scanner) the agent relies on, as extended usages.
public enum HIDPOSUsage {
    public static let page: UInt16 = 0x8C
    public static let barCodeScanner: UInt32 = 0x008C_0002
    public static let scannedDataReport: UInt32 = 0x008C_0012
    public static let soundErrorBeep: UInt32 = 0x008C_0085
    public static let soundGoodReadBeep: UInt32 = 0x008C_0086
    public static let symbologyIdentifier1: UInt32 = 0x008C_00FB
    public static let symbologyIdentifier2: UInt32 = 0x008C_00FC
    public static let symbologyIdentifier3: UInt32 = 0x008C_00FD
    public static let decodedData: UInt32 = 0x008C_00FE
    public static let decodeDataContinued: UInt32 = 0x008C_00FF
}

/// Which beep to ask a HID POS scanner for (SPEC §6: good read for `ok`, error for every other verdict).
public enum HIDPOSBeep: String, Sendable, Hashable, CaseIterable {
    case goodRead = "good-read"
    case error
}

/// Where a HID POS scanner puts what, in its scanned-data input report and its beep output report.
///
/// Offsets are byte offsets in the report as read from the interrupt endpoint, report ID byte included.
/// Build one from the device's report descriptor with ``init(descriptor:)``; when the descriptor cannot
/// be read, ``honeywell`` is the layout most HID POS scanners copy (``resolve(descriptorBytes:)`` does both).
public struct HIDPOSLayout: Sendable, Hashable {
    /// A single bit in a report.
    public struct Bit: Sendable, Hashable {
        public var byte: Int
        public var mask: UInt8
        public init(byte: Int, mask: UInt8) {
            self.byte = byte
            self.mask = mask
        }
    }

    /// The scanned-data input report: report ID, byte count, symbology identifier, data, continued bit.
    public struct ScannedDataReport: Sendable, Hashable {
        /// The report ID, or nil when reports carry no ID byte.
        public var reportID: UInt8?
        /// Report length in bytes, report ID included.
        public var length: Int
        /// The byte holding the number of valid data bytes.
        public var byteCountOffset: Int
        /// First of the three AIM symbology identifier bytes, or nil when the report has none.
        public var symbologyOffset: Int?
        /// First data byte.
        public var dataOffset: Int
        /// Data bytes the report can hold.
        public var dataCapacity: Int
        /// The bit that says more reports of the same code follow.
        public var continued: Bit

        public init(
            reportID: UInt8?, length: Int, byteCountOffset: Int, symbologyOffset: Int?, dataOffset: Int,
            dataCapacity: Int, continued: Bit
        ) {
            self.reportID = reportID
            self.length = length
            self.byteCountOffset = byteCountOffset
            self.symbologyOffset = symbologyOffset
            self.dataOffset = dataOffset
            self.dataCapacity = dataCapacity
            self.continued = continued
        }

        /// Whether every offset lies inside the report, so decoding can index without checks failing.
        var isConsistent: Bool {
            let symbologyFits = symbologyOffset.map { $0 >= 0 && $0 + 3 <= length } ?? true
            return length > 0 && byteCountOffset >= 0 && byteCountOffset < length && symbologyFits
                && dataOffset >= 0 && dataCapacity > 0 && dataOffset + dataCapacity <= length
                && continued.byte >= 0 && continued.byte < length && continued.mask != 0
        }
    }

    /// The output report whose bits make the scanner beep.
    public struct BeepReport: Sendable, Hashable {
        /// The report ID, or nil when reports carry no ID byte.
        public var reportID: UInt8?
        /// Report length in bytes, report ID included.
        public var length: Int
        /// Sounded for the `ok` verdict; nil when the scanner declares no such bit.
        public var goodRead: Bit?
        /// Sounded for every other verdict; nil when the scanner declares no such bit.
        public var error: Bit?

        public init(reportID: UInt8?, length: Int, goodRead: Bit?, error: Bit?) {
            self.reportID = reportID
            self.length = length
            self.goodRead = goodRead
            self.error = error
        }
    }

    /// Where scans arrive.
    public var input: ScannedDataReport
    /// Nil when the scanner declares no beep bits: feedback then is the scanner's own good-read beep.
    public var output: BeepReport?

    public init(input: ScannedDataReport, output: BeepReport?) {
        self.input = input
        self.output = output
    }

    /// Honeywell's HID POS layout (also used by Hand Held Products, Access-IS and others): input report 2
    /// of 64 bytes (byte count at 1, AIM identifier at 2-4, 56 data bytes at 5-60, Honeywell code ID at
    /// 61, continued in bit 0 of byte 63); output report 4 of 2 bytes with error beep 0x20 and good-read
    /// beep 0x40 in byte 1 (Hand Held Products "USB Interfaces User's Guide").
    public static let honeywell = HIDPOSLayout(
        input: ScannedDataReport(
            reportID: 2, length: 64, byteCountOffset: 1, symbologyOffset: 2, dataOffset: 5, dataCapacity: 56,
            continued: Bit(byte: 63, mask: 0x01)),
        output: BeepReport(
            reportID: 4, length: 2, goodRead: Bit(byte: 1, mask: 0x40), error: Bit(byte: 1, mask: 0x20)))

    /// Finds the scanned-data report (and beep report) a descriptor declares, or nil when it has none.
    ///
    /// The scanned-data report is the input report inside a Scanned Data Report collection (0x12) or
    /// carrying the symbology identifier / decoded data usages (0xFB-0xFE). Fields the descriptor does
    /// not name by usage (many scanners label the byte count and vendor bytes with vendor usages) take
    /// Honeywell's positions relative to the report ID.
    public init?(descriptor: HIDReportDescriptor) {
        let scanning = descriptor.fields.filter { field in
            field.kind == .input && !field.isConstant
                && (field.collections.contains(HIDPOSUsage.scannedDataReport)
                    || (HIDPOSUsage.symbologyIdentifier1...HIDPOSUsage.decodedData).contains { usage in
                        field.contains(usage: usage)
                    })
        }
        guard let reportID = scanning.first?.reportID else { return nil }
        let inReport = descriptor.fields.filter { $0.kind == .input && $0.reportID == reportID }
        let idBytes = descriptor.usesReportIDs ? 1 : 0
        let length = descriptor.reportLength(.input, reportID: reportID)

        func byteOffset(of usage: UInt32) -> (offset: Int, field: HIDReportDescriptor.Field)? {
            for field in inReport where !field.isConstant {
                if let bit = field.bitOffset(of: usage), bit % 8 == 0, field.size == 8 {
                    return (idBytes + bit / 8, field)
                }
            }
            return nil
        }

        var input: ScannedDataReport
        if let data = byteOffset(of: HIDPOSUsage.decodedData) {
            let fieldEnd = idBytes + (data.field.bitOffset + data.field.bitLength) / 8
            var continued = Bit(byte: length - 1, mask: 0x01)
            for field in inReport where !field.isConstant {
                if let bit = field.bitOffset(of: HIDPOSUsage.decodeDataContinued) {
                    continued = Bit(byte: idBytes + bit / 8, mask: 1 << UInt8(bit % 8))
                    break
                }
            }
            let symbology = byteOffset(of: HIDPOSUsage.symbologyIdentifier1)?.offset
            let firstPayload = min(symbology ?? data.offset, data.offset)
            guard firstPayload > idBytes else { return nil }  // no room for a byte count
            input = ScannedDataReport(
                reportID: descriptor.usesReportIDs ? reportID : nil, length: length, byteCountOffset: idBytes,
                symbologyOffset: symbology, dataOffset: data.offset, dataCapacity: fieldEnd - data.offset,
                continued: continued)
        } else {
            input = ScannedDataReport(
                reportID: descriptor.usesReportIDs ? reportID : nil, length: length, byteCountOffset: idBytes,
                symbologyOffset: idBytes + 1, dataOffset: idBytes + 4, dataCapacity: length - idBytes - 7,
                continued: Bit(byte: length - 1, mask: 0x01))
        }
        guard input.isConsistent else { return nil }
        self.input = input

        func bit(of usage: UInt32) -> (reportID: UInt8, bit: Bit)? {
            guard let field = descriptor.field(.output, usage: usage), let bit = field.bitOffset(of: usage) else {
                return nil
            }
            return (field.reportID, Bit(byte: idBytes + bit / 8, mask: 1 << UInt8(bit % 8)))
        }
        let good = bit(of: HIDPOSUsage.soundGoodReadBeep)
        let bad = bit(of: HIDPOSUsage.soundErrorBeep)
        if let outID = good?.reportID ?? bad?.reportID {
            self.output = BeepReport(
                reportID: descriptor.usesReportIDs ? outID : nil,
                length: descriptor.reportLength(.output, reportID: outID),
                goodRead: good?.reportID == outID ? good?.bit : nil,
                error: bad?.reportID == outID ? bad?.bit : nil)
        } else {
            self.output = nil
        }
    }

    /// The layout declared by `descriptorBytes`, or ``honeywell`` when they are absent, unreadable or
    /// declare no scanned-data report.
    ///
    /// - Returns: the layout and whether it came from the descriptor (for the log and `devices`).
    public static func resolve(descriptorBytes: [UInt8]?) -> (layout: HIDPOSLayout, fromDescriptor: Bool) {
        if let descriptorBytes, let descriptor = try? HIDReportDescriptor(parsing: descriptorBytes),
            let layout = HIDPOSLayout(descriptor: descriptor)
        {
            return (layout, true)
        }
        return (.honeywell, false)
    }

    /// The output report that makes the scanner sound `beep`, ready for an interrupt OUT transfer or a
    /// SET_REPORT request (report ID first when the device uses IDs), or nil when it declares no such bit.
    public func beepReport(_ beep: HIDPOSBeep) -> [UInt8]? {
        guard let output, output.length > 0 else { return nil }
        let bit: Bit? =
            switch beep {
            case .goodRead: output.goodRead
            case .error: output.error
            }
        guard let bit, bit.byte < output.length else { return nil }
        var report = [UInt8](repeating: 0, count: output.length)
        if let reportID = output.reportID { report[0] = reportID }
        report[bit.byte] |= bit.mask
        return report
    }
}
