import Testing
import TextEscaping

@Suite("CSV for Excel")
struct ExcelCSVTests {
    @Test("a byte order mark, CRLF after every row, every cell through CSV.cell")
    func document() {
        let text = CSV.excelDocument([["code", "device"], ["=SUM(A1)", "前台扫描枪"], ["a,b", "x\"y"]])
        #expect(Array(text.utf8) == [0xEF, 0xBB, 0xBF] + Array("code,device\r\n'=SUM(A1),前台扫描枪\r\n\"a,b\",\"x\"\"y\"\r\n".utf8))
        #expect(CSV.excelDocument([]) == "\u{FEFF}")
    }
}
