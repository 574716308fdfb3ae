import ScannerProtocols

/// Feeds arbitrary bytes to `BootKeyboardDecoder` as a stream of reports with arbitrary timing.
///
/// Input layout, repeated: one control byte, then a report. The control byte's low 4 bits pick the report
/// length (0-15, so 8 is only one of them and malformed lengths are exercised), its high 4 bits the time
/// step (0-15 × 16 ms, so the 100 ms silence timeout fires both inside and between codes); a step of 15
/// calls `flush(now:)` as the reader's timer would. Invariants checked on every output: codes are
/// non-empty, their text is the UTF-8 decoding of their raw bytes, they are never typed with a hole
/// (ASCII only: the US table and Ctrl+key produce nothing else), and the counters agree with the outputs.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ start: UnsafeRawPointer, _ count: Int) -> CInt {
    let bytes = Array(UnsafeRawBufferPointer(start: start, count: count))
    var decoder = BootKeyboardDecoder(capsLock: bytes.first.map { $0 & 1 == 1 } ?? false)
    var time: UInt64 = 1_000_000_000
    var codes = 0
    var errors = 0
    var index = 0
    func check(_ output: DecoderOutput) {
        for code in output.codes {
            precondition(!code.raw.isEmpty, "empty code")
            precondition(code.text == String(decoding: code.raw, as: UTF8.self), "text and raw disagree")
            // Control characters are legitimate ("Control + ASCII" mode types GS as Ctrl+]), so only ASCII is checked.
            precondition(code.raw.allSatisfy { $0 < 0x80 }, "byte the table cannot type")
            precondition(code.completedAt <= time, "code completed in the future")
        }
        codes += output.codes.count
        errors += output.errors.count
    }
    while index < bytes.count {
        let control = bytes[index]
        index += 1
        let length = Int(control & 0x0F)
        let step = UInt64(control >> 4)
        time += step * 16_000_000
        let report = bytes[index..<min(index + length, bytes.count)]
        index += length
        if step == 15 {
            check(decoder.flush(now: time))
        } else {
            check(decoder.feed(report: report, at: time))
        }
    }
    time += 1_000_000_000
    check(decoder.flush(now: time))
    precondition(!decoder.hasPendingCode, "a code survived a second of silence")
    precondition(decoder.counters.codes == codes, "code counter disagrees")
    precondition(decoder.counters.errors == errors, "error counter disagrees")
    return 0
}
