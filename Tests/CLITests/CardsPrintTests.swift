import Foundation
import Testing

/// Issue #14, cards that print right: the real `station-agent cards --out cards.png` (rendered by librsvg with the
/// box's CJK fonts) gives a page whose three symbols a real barcode reader (zbarimg) decodes, with the station's
/// name and the Chinese captions in the SVG, in fonts every Chinese PC and phone has.
@Suite("cards: the printed page")
struct CardsPrintTests {
    static let tools = ["/usr/bin/rsvg-convert", "/usr/bin/zbarimg"]

    @Test("cards --out .png and .pdf through rsvg-convert; zbarimg reads #STATION:IN, :OUT and :UNDO off the PNG", .timeLimit(.minutes(1)))
    func printedPageDecodes() throws {
        guard Self.tools.allSatisfy({ FileManager.default.isExecutableFile(atPath: $0) }) else {
            if ProcessInfo.processInfo.environment["STATION_AGENT_REQUIRE_DEVICE_TESTS"] == "1" {
                Issue.record("no rsvg-convert or zbarimg: `make test` installs them (apt librsvg2-bin zbar-tools)")
            }
            return
        }
        let directory = try scratchDirectory("cards-print")
        defer { try? FileManager.default.removeItem(at: directory) }
        let config = directory.appendingPathComponent("station.toml").path
        try "station_id = \"xiaohu\"\nstation_name = \"小湖村快递便民服务点\"\ntimezone = \"Asia/Shanghai\"\ndata_dir = \"\(directory.path)/data\"\n"
            .write(toFile: config, atomically: false, encoding: .utf8)

        let svg = try AgentProcess.agent(["cards", "--config", config])
        #expect(svg.status == 0, "\(svg.standardError)")
        #expect(svg.standardOutput.contains("小湖村快递便民服务点"))
        for caption in ["入库模式", "出库模式", "撤销上一件", "接着扫的包裹记为到件入库", "10 分钟内扫的最后一件"] {
            #expect(svg.standardOutput.contains(caption), "caption \(caption)")
        }
        for font in ["Noto Sans CJK SC", "Source Han Sans SC", "Microsoft YaHei", "PingFang SC", "SimHei", "WenQuanYi Micro Hei"] {
            #expect(svg.standardOutput.contains(font), "font \(font)")
        }

        let png = directory.appendingPathComponent("cards.png").path
        let written = try AgentProcess.agent(["cards", "--config", config, "--out", png])
        #expect(written.status == 0, "\(written.standardError)")
        let bytes = try Data(contentsOf: URL(fileURLWithPath: png))
        #expect(bytes.starts(with: [0x89, 0x50, 0x4E, 0x47]), "a PNG")
        let read = try AgentProcess.run("/usr/bin/zbarimg", ["--quiet", "--raw", png], timeout: 30)
        #expect(read.status == 0, "\(read.standardError)")
        #expect(Set(read.standardOutput.split(separator: "\n").map(String.init)) == ["#STATION:IN", "#STATION:OUT", "#STATION:UNDO"])

        let pdf = directory.appendingPathComponent("cards.pdf").path
        let asPDF = try AgentProcess.agent(["cards", "--config", config, "--out", pdf])
        #expect(asPDF.status == 0, "\(asPDF.standardError)")
        #expect(try Data(contentsOf: URL(fileURLWithPath: pdf)).starts(with: Array("%PDF".utf8)))

        let wrong = try AgentProcess.agent(["cards", "--config", config, "--out", directory.appendingPathComponent("cards.docx").path])
        #expect(wrong.status == 2 && wrong.standardError.contains(".svg, .pdf or .png"), "\(wrong.standardError)")
    }
}
