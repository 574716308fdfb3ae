/// Code 128 (ISO/IEC 15417) encoding in code set B, the set that holds every printable ASCII
/// character, which is all the command cards need.
public enum Code128 {
    /// Bar/space widths in modules for symbol values 0-106 (106 is the stop pattern, which has a
    /// final 2-module bar). Each of 0-105 spans 11 modules: bar, space, bar, space, bar, space.
    public static let patterns: [[UInt8]] = [
        "212222", "222122", "222221", "121223", "121322", "131222", "122213", "122312", "132212", "221213",
        "221312", "231212", "112232", "122132", "122231", "113222", "123122", "123221", "223211", "221132",
        "221231", "213212", "223112", "312131", "311222", "321122", "321221", "312212", "322112", "322211",
        "212123", "212321", "232121", "111323", "131123", "131321", "112313", "132113", "132311", "211313",
        "231113", "231311", "112133", "112331", "132131", "113123", "113321", "133121", "313121", "211331",
        "231131", "213113", "213311", "213131", "311123", "311321", "331121", "312113", "312311", "332111",
        "314111", "221411", "431111", "111224", "111422", "121124", "121421", "141122", "141221", "112214",
        "112412", "122114", "122411", "142112", "142211", "241211", "221114", "413111", "241112", "134111",
        "111242", "121142", "121241", "114212", "124112", "124211", "411212", "421112", "421211", "212141",
        "214121", "412121", "111143", "111341", "131141", "114113", "114311", "411113", "411311", "113141",
        "114131", "311141", "411131", "211412", "211214", "211232", "2331112",
    ].map { text in text.utf8.map { $0 - UInt8(ascii: "0") } }

    public static let startB = 104
    public static let stop = 106
    /// Quiet zone each side, in modules: the standard asks for at least 10.
    public static let quietZone = 10

    /// Why a text cannot be encoded.
    public struct EncodingError: Error, Sendable, Equatable, CustomStringConvertible {
        public let character: Character
        public var description: String { "'\(character)' is not in Code 128 set B (printable ASCII only)" }
    }

    /// The symbol values for `text`: start B, one value per character, the check value, stop.
    public static func values(for text: String) throws(EncodingError) -> [Int] {
        var values = [startB]
        for character in text {
            guard let ascii = character.asciiValue, (32...126).contains(ascii) else { throw EncodingError(character: character) }
            values.append(Int(ascii) - 32)
        }
        values.append(checkValue(values))
        values.append(stop)
        return values
    }

    /// The modulo-103 check value: the start value plus each data value times its position.
    public static func checkValue(_ valuesWithStart: [Int]) -> Int {
        var sum = valuesWithStart[0]
        for (position, value) in valuesWithStart.enumerated().dropFirst() { sum += position * value }
        return sum % 103
    }

    /// Alternating bar and space widths in modules, starting and ending with a bar (no quiet zone).
    public static func widths(for text: String) throws(EncodingError) -> [Int] {
        try values(for: text).flatMap { patterns[$0].map(Int.init) }
    }

    /// Decodes bar/space widths (in modules, starting with a bar) back into text, checking the
    /// start, the check value and the stop. Used by tests to read printed cards back.
    public static func decode(widths: [Int]) -> String? {
        guard widths.count >= 6 * 3 + 7, (widths.count - 7) % 6 == 0 else { return nil }
        var values: [Int] = []
        var index = 0
        while index + 6 <= widths.count - 7 {
            let chunk = widths[index..<index + 6].map { UInt8($0) }
            guard let value = patterns.prefix(106).firstIndex(of: Array(chunk)) else { return nil }
            values.append(value)
            index += 6
        }
        guard widths[index...].map({ UInt8($0) }) == patterns[stop], values.first == startB, values.count >= 2 else { return nil }
        let check = values.removeLast()
        guard checkValue(values) == check else { return nil }
        let scalars = values.dropFirst().map { Unicode.Scalar(UInt8($0 + 32)) }
        return String(String.UnicodeScalarView(scalars))
    }
}
