/// Turns HID POS scanned-data input reports into codes (`hid-pos`).
///
/// Each report carries up to ``HIDPOSLayout/ScannedDataReport/dataCapacity`` bytes; a longer code comes
/// as several reports with the "continued" bit set on all but the last, and they are joined here. A bad
/// report (wrong ID, too short, byte count beyond the data field) is an error; if it interrupts a
/// continued code, the rest of that code is dropped up to its last report, because a code with a
/// missing middle could still look valid.
public struct HIDPOSDecoder: Sendable {
    /// The report layout this decoder reads.
    public let layout: HIDPOSLayout
    /// Longest code kept; longer ones are dropped with ``DecodeError/codeTooLong(limit:)``.
    public var maxCodeLength: Int
    /// Nanoseconds after which a continued code whose next report never came is dropped by ``flush(now:)``.
    public var continuationTimeout: UInt64
    /// Totals since the decoder was created.
    public private(set) var counters = DecoderCounters()

    private var pending: [UInt8] = []
    private var pendingSymbology: String?
    private var inCode = false
    private var discarding = false
    private var lastReportTime: UInt64 = 0

    /// - Parameters:
    ///   - layout: from the device's report descriptor, or ``HIDPOSLayout/honeywell``.
    ///   - maxCodeLength: bound on a joined code, so a scanner stuck on "continued" cannot grow memory.
    ///   - continuationTimeout: how long to wait for the next report of a continued code (1 s).
    public init(
        layout: HIDPOSLayout = .honeywell, maxCodeLength: Int = 4096, continuationTimeout: UInt64 = 1_000_000_000
    ) {
        self.layout = layout
        self.maxCodeLength = maxCodeLength
        self.continuationTimeout = continuationTimeout
    }

    /// Decodes one input report (report ID byte first, as read from the interrupt endpoint) received at
    /// monotonic time `time` (nanoseconds).
    public mutating func feed(report: some Collection<UInt8>, at time: UInt64) -> DecoderOutput {
        var output = flush(now: time)
        let bytes = Array(report)
        let format = layout.input
        if let reportID = format.reportID, let first = bytes.first, first != reportID {
            counters.fail(.unexpectedReportID(first), into: &output)
            return output
        }
        guard bytes.count >= format.length else {
            counters.fail(.malformedReport(length: bytes.count, expected: format.length), into: &output)
            breakCode(into: &output)
            return output
        }
        lastReportTime = time
        let count = Int(bytes[format.byteCountOffset])
        let continued = bytes[format.continued.byte] & format.continued.mask != 0
        guard count <= format.dataCapacity else {
            counters.fail(.byteCountTooLarge(count: count, capacity: format.dataCapacity), into: &output)
            breakCode(into: &output)
            discarding = continued  // the rest of this code, if any, cannot be trusted either
            return output
        }
        if discarding {
            if !continued { discarding = false }
            return output
        }
        if !inCode {
            inCode = true
            pendingSymbology = format.symbologyOffset.flatMap { aimIdentifier(bytes[$0..<$0 + 3]) }
        }
        if pending.count + count > maxCodeLength {
            counters.fail(.codeTooLong(limit: maxCodeLength), into: &output)
            resetCode()
            discarding = continued
            return output
        }
        pending.append(contentsOf: bytes[format.dataOffset..<format.dataOffset + count])
        if !continued {
            if !pending.isEmpty {
                let code = ScannedCode(
                    raw: pending, symbology: pendingSymbology, completedAt: time, terminator: .endOfReport)
                counters.emit(code, into: &output)
            }
            resetCode()
        }
        return output
    }

    /// Drops a continued code whose next report has not come within ``continuationTimeout`` of `now`.
    public mutating func flush(now: UInt64) -> DecoderOutput {
        var output = DecoderOutput()
        if inCode || discarding, now >= lastReportTime, now - lastReportTime >= continuationTimeout {
            breakCode(into: &output)
            discarding = false
        }
        return output
    }

    /// Abandons the code in progress (reporting it), and drops its remaining reports.
    private mutating func breakCode(into output: inout DecoderOutput) {
        if inCode {
            counters.fail(.incompleteCode(byteCount: pending.count), into: &output)
            resetCode()
            discarding = true
        }
    }

    private mutating func resetCode() {
        pending.removeAll(keepingCapacity: true)
        pendingSymbology = nil
        inCode = false
    }

    /// `]` and two printable characters, as ISO/IEC 15424 defines; anything else (zeros when the
    /// scanner does not send identifiers) is no identifier rather than a guess.
    private func aimIdentifier(_ bytes: ArraySlice<UInt8>) -> String? {
        guard bytes.first == UInt8(ascii: "]"), bytes.dropFirst().allSatisfy({ (0x21...0x7E).contains($0) }) else {
            return nil
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}
