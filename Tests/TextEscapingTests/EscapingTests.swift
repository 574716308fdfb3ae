import Testing
import TextEscaping

@Suite("the one escaping of untrusted text")
struct EscapingTests {
    @Test("C0, DEL, C1, the backslash and CR/LF/TAB are escaped; text, spaces and Chinese stay as they are")
    func textRules() {
        #expect(Escaping.text("SF1122334455667") == "SF1122334455667")
        #expect(Escaping.text("小湖村 desk-1") == "小湖村 desk-1")
        #expect(Escaping.text("a\rb\nc\td\\e") == "a\\rb\\nc\\td\\\\e")
        #expect(Escaping.text("\u{1B}]0;t\u{07}\u{00}\u{7F}\u{85}\u{9B}") == "\\x1b]0;t\\x07\\x00\\x7f\\x85\\x9b")
        #expect(Escaping.text("a\u{2028}b\u{202E}c\u{2066}") == "a\\u{2028}b\\u{202e}c\\u{2066}")
    }

    @Test("every scalar 0-0x10FFFF: the escaped text has no control character and no line break")
    func noControlSurvives() {
        var all = ""
        for value in UInt32(0)...0x10FFFF {
            if let scalar = Unicode.Scalar(value) { all.unicodeScalars.append(scalar) }
        }
        let escaped = Escaping.text(all)
        #expect(!escaped.unicodeScalars.contains { $0.properties.generalCategory == .control })
        #expect(escaped.split(whereSeparator: \.isNewline).count == 1)
    }

    @Test("bytes: valid UTF-8 decoded, each invalid byte as \\xNN, the same rules as text")
    func byteRules() {
        #expect(Escaping.bytes(Array("SF1".utf8) + [0xFF, 0xFE, 0x1B] + Array("[2J".utf8)) == "SF1\\xff\\xfe\\x1b[2J")
        #expect(Escaping.bytes(Array("入库\r\n".utf8)) == "入库\\r\\n")
        #expect(Escaping.bytes([0xE5, 0x85]) == "\\xe5\\x85", "a cut-off sequence")
        #expect(Escaping.bytes([]) == "")
        let sample = "a\u{1B}b\\c\u{2028}小"
        #expect(Escaping.bytes(Array(sample.utf8)) == Escaping.text(sample))
    }

    @Test("lines keeps the line feeds between lines and escapes the rest")
    func lines() {
        #expect(Escaping.lines("Error: bad '\u{1B}[2J'\nUsage: x") == "Error: bad '\\x1b[2J'\nUsage: x")
    }

    @Test("CSV cells: formulas defused (also after leading white space), TAB/comma/quote/line breaks quoted")
    func csvCells() {
        #expect(CSV.cell("SF") == "SF")
        #expect(CSV.cell("2026-12-03") == "2026-12-03")
        #expect(CSV.cell("12") == "12")
        #expect(CSV.cell("") == "")
        #expect(CSV.cell("=1+1") == "'=1+1")
        #expect(CSV.cell(" =cmd") == "' =cmd")
        #expect(CSV.cell(" \u{3000}-2") == "' \u{3000}-2")
        #expect(CSV.cell("@SUM(A1)") == "'@SUM(A1)")
        #expect(CSV.cell("a\tb") == "\"a\tb\"")
        #expect(CSV.cell("\tx") == "\"'\tx\"")
        #expect(CSV.cell("a,b") == "\"a,b\"")
        #expect(CSV.cell("say \"hi\"") == "\"say \"\"hi\"\"\"")
        #expect(CSV.cell("=a,b") == "\"'=a,b\"")
        #expect(CSV.cell("a\nb") == "\"a\nb\"")
    }
}
