public import ParcelRules

/// The printable page of command barcodes (SPEC §5.2) as SVG: one Code 128 symbol per card with
/// its meaning in Chinese and English, to print and stick next to the scanner.
public enum CardSheet {
    public struct Card: Sendable, Equatable {
        public let command: CommandCard
        /// The card's name, large, above the bars.
        public let chinese: String
        /// What it does, in the words an operator uses, under the bars.
        public let chineseHelp: String
        public let english: String
    }

    public static let cards: [Card] = [
        Card(command: .modeIn, chinese: "入库模式", chineseHelp: "扫此码后，接着扫的包裹记为到件入库",
             english: "Inbound mode: parcels scanned next are arrivals"),
        Card(command: .modeOut, chinese: "出库模式", chineseHelp: "扫此码后，接着扫的包裹记为取件出库",
             english: "Outbound mode: parcels scanned next are released to recipients"),
        Card(command: .undo, chinese: "撤销上一件", chineseHelp: "撤销这把扫码枪 10 分钟内扫的最后一件",
             english: "Undo the last parcel scanned on this scanner (within 10 minutes)"),
    ]

    /// Fonts with the Chinese glyphs, in the order a viewer tries them: Linux (Noto, Source Han, WenQuanYi),
    /// Windows (Microsoft YaHei, SimHei), Apple (PingFang SC); a viewer without any falls back to its sans-serif.
    public static let chineseFonts =
        "'Noto Sans CJK SC', 'Source Han Sans SC', 'Microsoft YaHei', 'PingFang SC', SimHei, 'WenQuanYi Micro Hei', sans-serif"

    /// Width of one module in millimetres: 0.33 mm (13 mil) reads well with any scanner and any
    /// office printer.
    public static let moduleWidth = 0.33
    public static let barHeight = 18.0

    /// The whole A4 page.
    public static func svg(stationName: String = "") -> String {
        let pageWidth = 210.0
        let pageHeight = 297.0
        var body = ""
        var y = 20.0
        if !stationName.isEmpty {
            body += text(stationName, x: pageWidth / 2, y: y, size: 6, bold: true)
            y += 6
        }
        body += text("扫码指令卡 Command cards — station-agent", x: pageWidth / 2, y: y, size: 5, bold: !stationName.isEmpty ? false : true)
        y += 12
        for card in cards {
            body += cardGroup(card, top: y, pageWidth: pageWidth)
            y += 80
        }
        return """
            <?xml version="1.0" encoding="UTF-8"?>
            <svg xmlns="http://www.w3.org/2000/svg" width="\(format(pageWidth))mm" height="\(format(pageHeight))mm" viewBox="0 0 \(format(pageWidth)) \(format(pageHeight))">
            <rect x="0" y="0" width="\(format(pageWidth))" height="\(format(pageHeight))" fill="#ffffff"/>
            \(body)</svg>

            """
    }

    /// One card: a frame, the symbol with its quiet zones, the text under it and the captions.
    static func cardGroup(_ card: Card, top: Double, pageWidth: Double) -> String {
        // Encoding the fixed command strings cannot fail: they are printable ASCII.
        let widths = (try? Code128.widths(for: card.command.rawValue)) ?? []
        let modules = widths.reduce(0, +) + 2 * Code128.quietZone
        let symbolWidth = Double(modules) * moduleWidth
        let left = (pageWidth - symbolWidth) / 2
        var svg = "<g id=\"\(card.command.rawValue)\" data-code=\"\(card.command.rawValue)\">\n"
        svg += "<rect x=\"15\" y=\"\(format(top))\" width=\"\(format(pageWidth - 30))\" height=\"70\" fill=\"none\" stroke=\"#999999\" stroke-width=\"0.3\" stroke-dasharray=\"2,2\"/>\n"
        svg += text(card.chinese, x: pageWidth / 2, y: top + 10, size: 7, bold: true)
        var x = left + Double(Code128.quietZone) * moduleWidth
        for (index, width) in widths.enumerated() {
            let w = Double(width) * moduleWidth
            if index % 2 == 0 {
                svg += "<rect class=\"bar\" x=\"\(format(x))\" y=\"\(format(top + 15))\" width=\"\(format(w))\" height=\"\(format(barHeight))\" fill=\"#000000\"/>\n"
            }
            x += w
        }
        svg += text(card.command.rawValue, x: pageWidth / 2, y: top + 15 + barHeight + 6, size: 4, monospace: true)
        svg += text(card.chineseHelp, x: pageWidth / 2, y: top + 15 + barHeight + 14, size: 4.5)
        svg += text(card.english, x: pageWidth / 2, y: top + 15 + barHeight + 21, size: 3.5)
        svg += "</g>\n"
        return svg
    }

    static func text(_ content: String, x: Double, y: Double, size: Double, bold: Bool = false, monospace: Bool = false) -> String {
        let family = monospace ? "'DejaVu Sans Mono', Consolas, Menlo, monospace" : chineseFonts
        return "<text x=\"\(format(x))\" y=\"\(format(y))\" font-family=\"\(family)\" font-size=\"\(format(size))\" text-anchor=\"middle\"\(bold ? " font-weight=\"bold\"" : "")>\(escape(content))</text>\n"
    }

    static func escape(_ text: String) -> String {
        var result = ""
        for character in text {
            switch character {
            case "&": result += "&amp;"
            case "<": result += "&lt;"
            case ">": result += "&gt;"
            case "\"": result += "&quot;"
            default: result.append(character)
            }
        }
        return result
    }

    /// Millimetres with up to 3 decimals, without a trailing ".0".
    static func format(_ value: Double) -> String {
        let thousandths = Int((value * 1000).rounded())
        let whole = thousandths / 1000
        let fraction = abs(thousandths % 1000)
        if fraction == 0 { return String(whole) }
        var digits = String(fraction)
        digits = String(repeating: "0", count: 3 - digits.count) + digits
        while digits.hasSuffix("0") { digits.removeLast() }
        return (thousandths < 0 && whole == 0 ? "-" : "") + "\(whole).\(digits)"
    }
}
