import CountReports
import Foundation
import Logging
import StationTime
import StationTestSupport
import Testing

/// SIGHUP while the agent runs: the count files' settings change from the next refresh.
@Suite("Count refresher reconfigured")
struct ReconfigureTests {
    @Test("a reload's station, outbox and refresh interval apply from the next refresh; the journal stays put",
          .timeLimit(.minutes(1)))
    func reloadAppliesFromTheNextRefresh() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        try await ScriptedSessionTests.buildJournal(directory)
        let refresher = ScriptedSessionTests.refresher(ScriptedSessionTests.settings(directory))
        let first = refresher.refresh(nowNanos: at("2026-11-04", 14, 0))
        #expect(first.failures.isEmpty && !first.written.isEmpty)
        let oldJSON = directory.outbox + "/yq-xiaohu_2026-11-04.json"
        let before = try #require(readText(oldJSON))

        let newOutbox = directory.path + "/outbox-2"
        refresher.reconfigure(
            CountSettings(
                stationID: "yq-xiaohu-2", stationName: "小湖村新点", zone: try StationTimeZone.load(named: "Asia/Shanghai"),
                staleAfterDays: 5, dataDirectory: directory.path + "/not-the-journal", outboxDirectory: newOutbox,
                refreshSeconds: 60, agentVersion: "test-2"))
        #expect(refresher.settings.dataDirectory == directory.dataDirectory, "the journal is where it was")
        #expect(refresher.nextWaitNanos(nowNanos: at("2026-11-04", 14, 0)) == 60_000_000_000)

        let second = refresher.refresh(nowNanos: at("2026-11-04", 14, 10))
        #expect(second.failures.isEmpty, "\(second.failures)")
        #expect(second.written.contains { $0.date == LocalDate("2026-11-04")! })
        let newJSON = try #require(readText(newOutbox + "/yq-xiaohu-2_2026-11-04.json"), "today's file in the new outbox")
        #expect(newJSON.contains("\"station_id\": \"yq-xiaohu-2\""))
        #expect(newJSON.contains("小湖村新点"))
        #expect(newJSON.contains("\"agent_version\": \"test-2\""))
        #expect(readText(oldJSON) == before, "files already written stay as they are")
    }
}

@Suite("SHA256SUMS lists every count file")
struct ChecksumCompletenessTests {
    @Test("a lost SHA256SUMS is rebuilt with every count file at the next write, other files left out",
          .timeLimit(.minutes(1)))
    func lostListIsRebuilt() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        try await ScriptedSessionTests.buildJournal(directory)
        let refresher = ScriptedSessionTests.refresher(ScriptedSessionTests.settings(directory))
        #expect(refresher.refresh(nowNanos: at("2026-11-04", 14, 0)).written.count == 3)
        _ = run(["/bin/rm", directory.outbox + "/SHA256SUMS"])
        try writeText(directory.outbox + "/notes.txt", "not a count file\n")

        // The next refresh writes only today's files; the list names all six, each with its right digest.
        #expect(refresher.refresh(nowNanos: at("2026-11-04", 14, 10)).written.map(\.date.description) == ["2026-11-04"])
        let names = OutboxDirectory(path: directory.outbox).readChecksums().entries.keys.sorted()
        #expect(names == ["01", "02", "04"].flatMap { ["yq-xiaohu_2026-11-\($0).csv", "yq-xiaohu_2026-11-\($0).json"] })
        let check = run(["/bin/sh", "-c", "cd '\(directory.outbox)' && sha256sum -c --strict --quiet SHA256SUMS"])
        #expect(check.status == 0, "\(check.output)")
    }
}
