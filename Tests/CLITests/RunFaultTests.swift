import Foundation
import Testing

@Suite("run with a bad journal")
struct RunFaultTests {
    @Test("a damaged journal stops the agent with exit 1 and the reason, and is left untouched", .timeLimit(.minutes(1)))
    func damagedJournal() throws {
        let directory = try scratchDirectory("run-fault")
        defer { try? FileManager.default.removeItem(at: directory) }
        let journal = directory.appendingPathComponent("journal.sqlite3")
        let garbage = Data((0..<8192).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ 7) })
        try garbage.write(to: journal)
        let result = try AgentProcess.agent(
            ["run"], environment: ["STATION_AGENT_DATA_DIR": directory.path, "STATION_AGENT_CONFIG": ""], timeout: 30)
        #expect(result.status == 1, "stderr: \(result.standardError)")
        #expect(result.standardError.contains("cannot open the journal"))
        #expect(result.standardError.contains(journal.path))
        #expect(try Data(contentsOf: journal) == garbage, "the damaged file is never overwritten")
    }
}
