import Foundation
import Testing

/// The binary goes onto SD cards (issue #12: the stripped static binary ≤ 25 MB). Full Foundation brings ICU's
/// data and FoundationInternationalization: with one `import Foundation` in the agent, the stripped static binary
/// was 65 MB; with FoundationEssentials only, 21 MB. The modules of the agent's binary must not import it.
@Suite("binary size guard")
struct BinarySizeGuardTests {
    /// Modules that are not linked into `station-agent` (the benchmark program, the test bed's emulator).
    static let notInTheAgent: Set<String> = ["StationBench", "USBEmulator"]

    @Test("no module of the agent's binary imports Foundation (FoundationEssentials is enough)")
    func noFullFoundation() throws {
        let sources = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("Sources").path
        var offenders: [String] = []
        let modules = try FileManager.default.contentsOfDirectory(atPath: sources).filter { !Self.notInTheAgent.contains($0) }
        #expect(modules.count > 10, "\(sources)")
        for module in modules {
            guard let enumerator = FileManager.default.enumerator(atPath: sources + "/" + module) else { continue }
            for case let file as String in enumerator where file.hasSuffix(".swift") {
                let text = try String(decoding: Data(contentsOf: URL(fileURLWithPath: sources + "/" + module + "/" + file)), as: UTF8.self)
                for line in text.split(separator: "\n") {
                    let words = line.split(separator: " ")
                    if let index = words.firstIndex(of: "import"), index + 1 < words.count, words[index + 1] == "Foundation",
                        words[..<index].allSatisfy({ ["public", "internal", "@_exported", "private", "package"].contains($0) })
                    {
                        offenders.append("\(module)/\(file)")
                    }
                }
            }
        }
        #expect(offenders.isEmpty, "import Foundation in \(offenders): use FoundationEssentials")
    }
}
