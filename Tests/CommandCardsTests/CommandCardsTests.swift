import Foundation
import Testing
import CommandCards
import ParcelRules

@Suite("Command cards")
struct CommandCardsTests {
    @Test("the pattern table is well formed: 11 modules a symbol, an even number of bar modules")
    func patternTable() {
        #expect(Code128.patterns.count == 107)
        for (value, pattern) in Code128.patterns.enumerated().dropLast() {
            #expect(pattern.count == 6 && pattern.map(Int.init).reduce(0, +) == 11, "value \(value)")
            #expect((Int(pattern[0]) + Int(pattern[2]) + Int(pattern[4])) % 2 == 0, "value \(value): bar parity")
        }
        #expect(Code128.patterns[106].map(Int.init).reduce(0, +) == 13, "stop: 13 modules")
        #expect(Set(Code128.patterns).count == 107, "every pattern is distinct")
    }

    @Test("check value of a worked example: \"PJJ123C\" in set B")
    func checkValueExample() throws {
        // Start B 104; P=48 J=42 J=42 1=17 2=18 3=19 C=35
        // 104 + 48*1 + 42*2 + 42*3 + 17*4 + 18*5 + 19*6 + 35*7 = 879; 879 mod 103 = 55.
        let values = try Code128.values(for: "PJJ123C")
        #expect(values == [104, 48, 42, 42, 17, 18, 19, 35, 55, 106])
    }

    @Test("non-ASCII text is refused, not mangled")
    func refusesNonASCII() {
        #expect(throws: Code128.EncodingError.self) { _ = try Code128.values(for: "入库") }
    }

    @Test("the SVG's bars decode back to the three command strings, with quiet zones")
    func svgDecodesBack() throws {
        let svg = CardSheet.svg(stationName: "小湖村快递便民服务点")
        var decoded: [String] = []
        for card in CardSheet.cards {
            let group = try #require(Self.group(card.command.rawValue, in: svg))
            let bars = Self.bars(in: group)
            try #require(bars.count > 10)
            // Widths in modules from the drawn rectangles: bars, and the spaces between them.
            var widths: [Int] = []
            for (index, bar) in bars.enumerated() {
                widths.append(Int((bar.width / CardSheet.moduleWidth).rounded()))
                if index + 1 < bars.count {
                    widths.append(Int(((bars[index + 1].x - bar.x - bar.width) / CardSheet.moduleWidth).rounded()))
                }
            }
            decoded.append(try #require(Code128.decode(widths: widths), "bars of \(card.command.rawValue) decode"))
            // Quiet zone: nothing drawn within 10 modules left of the first bar inside the card frame.
            let frameLeft = 15.0
            #expect(bars[0].x - frameLeft >= Double(Code128.quietZone) * CardSheet.moduleWidth)
        }
        #expect(decoded == CommandCard.allCases.map(\.rawValue))
        #expect(decoded == ["#STATION:IN", "#STATION:OUT", "#STATION:UNDO"])
        #expect(svg.contains("入库模式") && svg.contains("出库模式") && svg.contains("撤销上一件"))
        #expect(svg.contains("Inbound mode") && svg.contains("Undo the last parcel"))
        #expect(svg.contains("小湖村快递便民服务点"))
    }

    @Test("a corrupted bar fails the check value instead of decoding wrongly")
    func corruptedBarsFail() throws {
        var widths = try Code128.widths(for: "#STATION:OUT")
        // Swap two data symbols' patterns: every pattern still reads, but the check value no longer matches.
        let first = Array(widths[6..<12])
        widths.replaceSubrange(6..<12, with: widths[12..<18])
        widths.replaceSubrange(12..<18, with: first)
        #expect(Code128.decode(widths: widths) == nil)
    }

    // MARK: Reading the SVG

    struct Bar { let x: Double; let width: Double }

    static func group(_ id: String, in svg: String) -> String? {
        guard let start = svg.range(of: "<g id=\"\(id)\"") else { return nil }
        guard let end = svg.range(of: "</g>", range: start.upperBound..<svg.endIndex) else { return nil }
        return String(svg[start.lowerBound..<end.upperBound])
    }

    static func bars(in group: String) -> [Bar] {
        group.split(separator: "\n").filter { $0.contains("class=\"bar\"") }.compactMap { line in
            guard let x = attribute("x", in: line), let width = attribute("width", in: line) else { return nil }
            return Bar(x: x, width: width)
        }.sorted { $0.x < $1.x }
    }

    static func attribute(_ name: String, in line: Substring) -> Double? {
        guard let start = line.range(of: " \(name)=\"") else { return nil }
        let rest = line[start.upperBound...]
        guard let end = rest.firstIndex(of: "\"") else { return nil }
        return Double(rest[..<end])
    }
}
