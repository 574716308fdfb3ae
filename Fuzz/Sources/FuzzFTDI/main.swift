import ScannerProtocols

/// Feeds arbitrary bytes to `FTDIPacketStripper` and `FTDIDecoder` as bulk IN transfers, and the baud
/// rate encoder with arbitrary rates.
///
/// The first byte picks wMaxPacketSize (0-255, below 3 included, which the stripper must clamp); then,
/// repeated: two bytes of transfer length (0-1023) and the transfer. Invariants: the stripper returns
/// exactly the bytes after each packet's two status bytes; codes hold no CR/LF; a divisor, when the rate
/// is accepted, fits the 17 bits the request can carry.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ start: UnsafeRawPointer, _ count: Int) -> CInt {
    let bytes = Array(UnsafeRawBufferPointer(start: start, count: count))
    guard bytes.count >= 4 else { return 0 }
    let packetSize = Int(bytes[0])
    let baud = Int(bytes[1]) << 16 | Int(bytes[2]) << 8 | Int(bytes[3])
    if let divisor = try? FTDIRequest.baudRateDivisor(baud) {
        precondition(divisor < 1 << 17, "divisor does not fit wValue and wIndex")
        _ = try? FTDIRequest.setBaudRate(baud)
    }
    let stripper = FTDIPacketStripper(maxPacketSize: packetSize)
    var decoder = FTDIDecoder(maxPacketSize: packetSize, framer: LineFramer(maxCodeLength: 100))
    var time: UInt64 = 0
    var index = 4
    while index + 1 < bytes.count {
        let length = (Int(bytes[index]) << 8 | Int(bytes[index + 1])) & 0x3FF
        index += 2
        let transfer = Array(bytes[index..<min(index + length, bytes.count)])
        index += length
        time += 1_000_000
        let (data, _) = stripper.strip(transfer)
        var expected: [UInt8] = []
        var packetStart = 0
        let size = stripper.maxPacketSize
        while packetStart < transfer.count {
            let end = min(packetStart + size, transfer.count)
            if end - packetStart >= 2 { expected += transfer[(packetStart + 2)..<end] }
            packetStart = end
        }
        precondition(data == expected, "stripper kept or dropped the wrong bytes")
        let output = decoder.feed(transfer: transfer, at: time)
        for code in output.codes {
            precondition(!code.raw.isEmpty && !code.raw.contains(0x0D) && !code.raw.contains(0x0A), "bad code")
            precondition(code.raw.count <= 100, "code longer than the bound")
        }
    }
    _ = decoder.flush(now: time + 1_000_000_000)
    return 0
}
