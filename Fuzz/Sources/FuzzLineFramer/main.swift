import ScannerProtocols

/// Feeds arbitrary bytes to `LineFramer` in arbitrary chunks (CDC-ACM bulk transfers).
///
/// The first byte picks the maximum code length (1-64, so the too-long path runs often) and whether a
/// silence timeout is set; then, repeated: a chunk length byte (0-31) and the chunk. Invariants: codes are
/// non-empty, hold no CR or LF, respect the length bound, and the counters agree with the outputs.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ start: UnsafeRawPointer, _ count: Int) -> CInt {
    let bytes = Array(UnsafeRawBufferPointer(start: start, count: count))
    guard let first = bytes.first else { return 0 }
    let maxLength = Int(first & 0x3F) + 1
    var framer = LineFramer(maxCodeLength: maxLength, silenceTimeout: first & 0x40 != 0 ? 50_000_000 : nil)
    var time: UInt64 = 0
    var codes = 0
    var errors = 0
    var index = 1
    func check(_ output: DecoderOutput) {
        for code in output.codes {
            precondition(!code.raw.isEmpty, "empty code")
            precondition(!code.raw.contains(0x0D) && !code.raw.contains(0x0A), "line end inside a code")
            precondition(code.raw.count <= maxLength, "code longer than the bound")
            precondition(code.text == String(decoding: code.raw, as: UTF8.self), "text and raw disagree")
        }
        codes += output.codes.count
        errors += output.errors.count
    }
    while index < bytes.count {
        let control = bytes[index]
        index += 1
        let length = Int(control & 0x1F)
        time += UInt64(control >> 5) * 20_000_000
        let chunk = bytes[index..<min(index + length, bytes.count)]
        index += length
        check(framer.feed(chunk, at: time))
    }
    check(framer.flush(now: time + 1_000_000_000))
    precondition(framer.counters.codes == codes, "code counter disagrees")
    precondition(framer.counters.errors == errors, "error counter disagrees")
    return 0
}
