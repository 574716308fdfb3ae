/// One local time type of a TZif file: an offset, whether it is daylight saving time, and its abbreviation.
struct LocalTimeType: Sendable, Hashable {
    var utcOffset: Int
    var isDST: Bool
    var abbreviation: String
}

/// The contents of a TZif file (RFC 8536, versions 1 to 4) that conversion needs.
///
/// Leap-second records are ignored: station times are POSIX times (the `right/` zones are not used on the boxes).
struct TZifFile: Sendable, Hashable {
    var transitions: [Int64]
    var transitionTypes: [Int]
    var types: [LocalTimeType]
    /// The footer's POSIX rule for instants after the last transition (versions 2+); `nil` if none.
    var footer: PosixTimeZoneRule?

    enum ParseError: Error {
        case invalid(String)
    }

    init(transitions: [Int64], transitionTypes: [Int], types: [LocalTimeType], footer: PosixTimeZoneRule?) {
        self.transitions = transitions
        self.transitionTypes = transitionTypes
        self.types = types
        self.footer = footer
    }

    init(parsing bytes: [UInt8]) throws(ParseError) {
        var reader = ByteReader(bytes: bytes)
        let v1 = try Self.header(&reader)
        if v1.version == 0 {
            self = try Self.body(&reader, header: v1, timeSize: 4)
            return
        }
        // Version 2+: skip the 32-bit block, then read the 64-bit block and the footer.
        try reader.skip(v1.blockSize(timeSize: 4))
        let v2 = try Self.header(&reader)
        var file = try Self.body(&reader, header: v2, timeSize: 8)
        guard try reader.byte() == 0x0A else { throw .invalid("missing footer") }
        var rule: [UInt8] = []
        while true {
            let byte = try reader.byte()
            if byte == 0x0A { break }
            rule.append(byte)
        }
        if !rule.isEmpty {
            let text = String(decoding: rule, as: UTF8.self)
            do {
                file.footer = try PosixTimeZoneRule(parsing: text)
            } catch {
                throw .invalid("footer rule \"\(text)\": \(error)")
            }
        }
        self = file
    }

    struct Header {
        var version: UInt8
        var isutcnt: Int, isstdcnt: Int, leapcnt: Int, timecnt: Int, typecnt: Int, charcnt: Int

        func blockSize(timeSize: Int) -> Int {
            timecnt * timeSize + timecnt + typecnt * 6 + charcnt + leapcnt * (timeSize + 4) + isstdcnt + isutcnt
        }
    }

    private static func header(_ reader: inout ByteReader) throws(ParseError) -> Header {
        guard try reader.bytes(4) == Array("TZif".utf8) else { throw .invalid("no TZif magic") }
        let versionByte = try reader.byte()
        let version: UInt8
        switch versionByte {
        case 0: version = 0
        case UInt8(ascii: "2"), UInt8(ascii: "3"), UInt8(ascii: "4"): version = versionByte - UInt8(ascii: "0")
        default: throw .invalid("unknown version byte \(versionByte)")
        }
        try reader.skip(15)
        let header = Header(
            version: version, isutcnt: Int(try reader.uint32()), isstdcnt: Int(try reader.uint32()),
            leapcnt: Int(try reader.uint32()), timecnt: Int(try reader.uint32()), typecnt: Int(try reader.uint32()),
            charcnt: Int(try reader.uint32()))
        guard header.typecnt >= 1, header.charcnt >= 1 else { throw .invalid("no local time types") }
        guard header.isutcnt == 0 || header.isutcnt == header.typecnt,
            header.isstdcnt == 0 || header.isstdcnt == header.typecnt
        else { throw .invalid("inconsistent indicator counts") }
        return header
    }

    private static func body(_ reader: inout ByteReader, header: Header, timeSize: Int) throws(ParseError) -> TZifFile {
        guard reader.remaining >= header.blockSize(timeSize: timeSize) else { throw .invalid("truncated data block") }
        var transitions: [Int64] = []
        transitions.reserveCapacity(header.timecnt)
        for _ in 0..<header.timecnt {
            let time = timeSize == 4 ? Int64(Int32(bitPattern: try reader.uint32())) : Int64(bitPattern: try reader.uint64())
            if let last = transitions.last, time <= last { throw .invalid("transition times not ascending") }
            transitions.append(time)
        }
        var indices: [Int] = []
        for _ in 0..<header.timecnt {
            let index = Int(try reader.byte())
            guard index < header.typecnt else { throw .invalid("transition type index out of range") }
            indices.append(index)
        }
        var raw: [(offset: Int32, dst: Bool, abbreviationIndex: Int)] = []
        for _ in 0..<header.typecnt {
            let offset = Int32(bitPattern: try reader.uint32())
            let dst = try reader.byte()
            let abbreviationIndex = Int(try reader.byte())
            guard offset != Int32.min, dst <= 1, abbreviationIndex < header.charcnt else {
                throw .invalid("bad local time type")
            }
            raw.append((offset, dst == 1, abbreviationIndex))
        }
        let characters = try reader.bytes(header.charcnt)
        let types = raw.map { entry in
            let tail = characters[entry.abbreviationIndex...]
            let end = tail.firstIndex(of: 0) ?? characters.endIndex
            return LocalTimeType(
                utcOffset: Int(entry.offset), isDST: entry.dst,
                abbreviation: String(decoding: characters[entry.abbreviationIndex..<end], as: UTF8.self))
        }
        try reader.skip(header.leapcnt * (timeSize + 4) + header.isstdcnt + header.isutcnt)
        return TZifFile(transitions: transitions, transitionTypes: indices, types: types, footer: nil)
    }
}

/// Big-endian reads over a byte array, each bounds-checked.
struct ByteReader {
    let bytes: [UInt8]
    var position = 0

    var remaining: Int { bytes.count - position }

    mutating func byte() throws(TZifFile.ParseError) -> UInt8 {
        guard position < bytes.count else { throw .invalid("truncated file") }
        defer { position += 1 }
        return bytes[position]
    }

    mutating func bytes(_ count: Int) throws(TZifFile.ParseError) -> [UInt8] {
        guard count >= 0, remaining >= count else { throw .invalid("truncated file") }
        defer { position += count }
        return Array(bytes[position..<position + count])
    }

    mutating func skip(_ count: Int) throws(TZifFile.ParseError) {
        guard count >= 0, remaining >= count else { throw .invalid("truncated file") }
        position += count
    }

    mutating func uint32() throws(TZifFile.ParseError) -> UInt32 {
        var value: UInt32 = 0
        for byte in try bytes(4) { value = value << 8 | UInt32(byte) }
        return value
    }

    mutating func uint64() throws(TZifFile.ParseError) -> UInt64 {
        var value: UInt64 = 0
        for byte in try bytes(8) { value = value << 8 | UInt64(byte) }
        return value
    }
}
