import TextEscaping

/// Renders rows as left-aligned columns for a terminal, counting CJK characters as two columns
/// so Chinese station and device names line up. Every cell is escaped (``Escaping``: a USB product string or a
/// code with ESC cannot reach the terminal), unless the caller escaped its cells already.
enum TextTable {
    static func render(_ rows: [[String]], cellsAreEscaped: Bool = false) -> String {
        let rows = cellsAreEscaped ? rows : rows.map { $0.map(Escaping.text) }
        let columns = rows.map(\.count).max() ?? 0
        var widths = [Int](repeating: 0, count: columns)
        for row in rows {
            for (index, cell) in row.enumerated() { widths[index] = max(widths[index], displayWidth(cell)) }
        }
        return rows.map { row in
            row.enumerated().map { index, cell in
                index == row.count - 1 ? cell : cell + String(repeating: " ", count: widths[index] - displayWidth(cell) + 2)
            }.joined()
        }.joined(separator: "\n")
    }

    static func displayWidth(_ text: String) -> Int {
        text.unicodeScalars.reduce(0) { width, scalar in
            switch scalar.value {
            case 0x1100...0x115F, 0x2E80...0xA4CF, 0xAC00...0xD7A3, 0xF900...0xFAFF, 0xFE30...0xFE4F,
                0xFF00...0xFF60, 0xFFE0...0xFFE6, 0x20000...0x3FFFD:
                return width + 2
            default:
                return width + 1
            }
        }
    }
}
