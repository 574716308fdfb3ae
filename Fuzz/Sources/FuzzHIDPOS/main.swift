import ScannerProtocols

/// Feeds arbitrary bytes to the HID report descriptor parser, the HID POS layout finder, and
/// `HIDPOSDecoder` with whatever layout came out.
///
/// The first two bytes give the descriptor length (0-511); that many bytes are the descriptor, parsed
/// strictly (`HIDReportDescriptor`), leniently (`mentionsUsagePage`) and through `HIDPOSLayout.resolve`.
/// The rest is a stream of reports for a decoder using the resolved layout: a length byte (0-127) and the
/// report. Invariants: a layout found from a descriptor keeps every offset inside its report, beep
/// reports have the declared length, codes respect the length bound and the counters agree.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ start: UnsafeRawPointer, _ count: Int) -> CInt {
    let bytes = Array(UnsafeRawBufferPointer(start: start, count: count))
    guard bytes.count >= 2 else { return 0 }
    let descriptorLength = min((Int(bytes[0]) << 8 | Int(bytes[1])) & 0x1FF, bytes.count - 2)
    let descriptor = Array(bytes[2..<2 + descriptorLength])
    _ = HIDReportDescriptor.mentionsUsagePage(HIDPOSUsage.page, in: descriptor)
    if let parsed = try? HIDReportDescriptor(parsing: descriptor) {
        for kind in [HIDReportDescriptor.ReportKind.input, .output, .feature] {
            for id in parsed.reportIDs(kind) { _ = parsed.reportLength(kind, reportID: id) }
        }
        _ = parsed.field(.input, usage: HIDPOSUsage.decodedData)
    }
    let (layout, _) = HIDPOSLayout.resolve(descriptorBytes: descriptor)
    let input = layout.input
    precondition(input.byteCountOffset < input.length && input.dataOffset + input.dataCapacity <= input.length)
    precondition(input.continued.byte < input.length)
    if let symbology = input.symbologyOffset { precondition(symbology + 3 <= input.length) }
    for beep in HIDPOSBeep.allCases {
        if let report = layout.beepReport(beep) { precondition(report.count == layout.output?.length) }
    }
    var decoder = HIDPOSDecoder(layout: layout, maxCodeLength: 300, continuationTimeout: 50_000_000)
    var time: UInt64 = 0
    var codes = 0
    var errors = 0
    var index = 2 + descriptorLength
    while index < bytes.count {
        let control = bytes[index]
        index += 1
        let length = Int(control & 0x7F)
        time += control & 0x80 != 0 ? 60_000_000 : 1_000_000
        let report = bytes[index..<min(index + length, bytes.count)]
        index += length
        let output = decoder.feed(report: report, at: time)
        for code in output.codes {
            precondition(!code.raw.isEmpty && code.raw.count <= 300, "bad code length")
            if let symbology = code.symbology { precondition(symbology.utf8.count == 3, "bad AIM identifier") }
        }
        codes += output.codes.count
        errors += output.errors.count
    }
    errors += decoder.flush(now: time + 1_000_000_000).errors.count
    precondition(decoder.counters.codes == codes && decoder.counters.errors == errors, "counters disagree")
    return 0
}
