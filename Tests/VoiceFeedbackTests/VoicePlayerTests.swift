import HumanWords
import Logging
import StationTestSupport
import Synchronization
import Testing
import VoiceFeedback
#if canImport(Glibc)
import Glibc
#endif

/// The ALSA configuration of this test process: one `file` PCM per test, each recording into its own file. libasound
/// reads `ALSA_CONFIG_PATH` when it first loads its configuration, so it is set once, before any PCM is opened.
enum TestSound {
    static let pcms = ["vt_one", "vt_burst", "vt_prompt", "vt_latency", "vt_volume", "vt_rates"]

    static let directory: String = {
        let directory = try! TemporaryDirectory(prefix: "voice-tests")
        let path = try! TonePrompts.writeAlsaConfiguration(in: directory.path, pcms: pcms)
        setenv("ALSA_CONFIG_PATH", path, 1)
        // Shared by the suite's tests for the life of the process (libasound keeps reading it): removed at exit.
        atexit { TemporaryDirectory.remove(TestSound.directory) }
        return directory.path
    }()

    /// Adds PCMs to the configuration (libasound reads it again at the next open, its time stamp having changed).
    static func define(_ more: [String]) throws {
        _ = try TonePrompts.writeAlsaConfiguration(in: directory, pcms: pcms + more)
    }

    static func recording(_ pcm: String) -> String { directory + "/" + pcm + ".raw" }

    /// A folder of tone prompts for one test.
    static func prompts(_ name: String, only: [String]? = nil, seconds: Double = TonePrompts.seconds) throws -> String {
        let folder = directory + "/prompts-" + name
        mkdir(folder, 0o755)
        try TonePrompts.write(to: folder, seconds: seconds, only: only)
        return folder
    }
}

/// Bounded wait on the test's own thread (the player is on another).
func waitFor(_ seconds: Double, _ condition: () -> Bool) -> Bool {
    let deadline = monotonicNanos() + Int64(seconds * 1e9)
    while monotonicNanos() < deadline {
        if condition() { return true }
        usleep(5_000)
    }
    return condition()
}

@Suite("Voice player", .serialized)
struct VoicePlayerTests {
    @Test("one prompt is played exactly: the recorded samples are the prompt's, then at most a period of silence", .timeLimit(.minutes(1)))
    func playsOnePromptExactly() throws {
        let folder = try TestSound.prompts("one")
        let player = VoicePlayer(settings: .init(pcm: "vt_one", volume: 100, promptsDirectory: folder), logger: Logger(label: "test"))
        defer { player.stop() }
        #expect(waitFor(5) { player.status.device == .ready }, "\(player.status)")
        player.say(.released)
        #expect(waitFor(5) { player.statistics.played == 1 }, "\(player.statistics)")
        let recorded = TonePrompts.recorded(TestSound.recording("vt_one"))
        let tone = TonePrompts.samples(named: "released")
        try #require(recorded.count >= tone.count, "recorded \(recorded.count) samples")
        #expect(Array(recorded.prefix(tone.count)) == tone, "the prompt's samples, unchanged at volume 100")
        let padding = recorded.dropFirst(tone.count)
        #expect(padding.allSatisfy { $0 == 0 }, "only silence after it")
        #expect(padding.count <= TonePrompts.sampleRate / 5, "padding of \(padding.count) samples: no more than a period")
        #expect(player.status.promptProblems.isEmpty)
    }

    @Test("volume scales the samples", .timeLimit(.minutes(1)))
    func volumeScales() throws {
        let folder = try TestSound.prompts("volume")
        let player = VoicePlayer(settings: .init(pcm: "vt_volume", volume: 50, promptsDirectory: folder), logger: Logger(label: "test"))
        defer { player.stop() }
        player.say(.undone)
        #expect(waitFor(5) { player.statistics.played == 1 }, "\(player.statistics)")
        let recorded = TonePrompts.recorded(TestSound.recording("vt_volume"))
        let tone = TonePrompts.samples(named: "undone")
        try #require(recorded.count >= tone.count)
        #expect(Array(recorded.prefix(tone.count)) == tone.map { Int16(Int32($0) * 50 / 100) })
    }

    @Test("newest wins: 20 requests in a second play far less than 20 prompts, and the last one asked for is the last heard", .timeLimit(.minutes(1)))
    func newestWins() throws {
        let folder = try TestSound.prompts("burst")
        let player = VoicePlayer(settings: .init(pcm: "vt_burst", volume: 100, promptsDirectory: folder), logger: Logger(label: "test"))
        defer { player.stop() }
        #expect(waitFor(5) { player.status.device == .ready }, "\(player.status)")
        var longest: Int64 = 0
        let started = monotonicNanos()
        for index in 0..<20 {
            let before = monotonicNanos()
            player.say(Prompt.allCases[index % Prompt.allCases.count])
            longest = max(longest, monotonicNanos() - before)
            usleep(50_000)
        }
        let last = Prompt.allCases[19 % Prompt.allCases.count]
        #expect(longest < 20_000_000, "say() returns at once, whatever the device does (longest: \(longest / 1_000) µs; a prompt is 300 ms)")
        #expect(waitFor(5) {
            let statistics = player.statistics
            return statistics.played + statistics.cut + statistics.superseded == 20
        }, "\(player.statistics)")
        let elapsed = Double(monotonicNanos() - started) / 1e9
        let statistics = player.statistics
        // Queued, the 20 prompts would take 6 s; the burst ends with the last one, 0.3 s after it was asked for.
        #expect(elapsed < 2.5, "everything played within \(elapsed) s")
        #expect(statistics.played <= 2 && statistics.cut + statistics.superseded >= 18, "\(statistics)")
        let recorded = TonePrompts.recorded(TestSound.recording("vt_burst"))
        let tone = TonePrompts.samples(named: last.rawValue)
        let whole = 20 * tone.count
        // What the player wrote: 1 s of cut prompts, each with up to 60 ms + a chunk written ahead (a real device
        // drops that unheard), then the last whole; not 20 whole prompts.
        print("voice burst: 20 requests in \(elapsed) s, longest say() \(longest / 1_000) µs, \(statistics), \(recorded.count) samples written of \(whole)")
        #expect(recorded.count < whole * 6 / 10, "\(recorded.count) samples recorded of \(whole) asked for")
        // The last prompt is heard whole, at the end, followed only by the padding.
        var end = recorded.count
        while end > 0 && recorded[end - 1] == 0 { end -= 1 }
        let candidates = max(0, end - tone.count - 64)...max(0, end - tone.count)
        let found = candidates.first { start in
            start + tone.count <= recorded.count && recorded[start..<start + tone.count].elementsEqual(tone)
        }
        #expect(found != nil, "the last request (\(last.rawValue)) is the last prompt heard")
    }

    @Test("a PCM that does not exist: say() returns at once, one warning says what to do, the status reports it", .timeLimit(.minutes(1)))
    func missingDevice() throws {
        let folder = try TestSound.prompts("missing-device")
        let log = CapturedLog()
        let player = VoicePlayer(settings: .init(pcm: "nonexistent", volume: 80, promptsDirectory: folder), logger: log.logger)
        defer { player.stop() }
        var longest: Int64 = 0
        for prompt in Prompt.allCases {
            let before = monotonicNanos()
            player.say(prompt)
            longest = max(longest, monotonicNanos() - before)
            usleep(20_000)
        }
        #expect(longest < 20_000_000, "say() returns at once, whatever the device does (longest: \(longest / 1_000) µs; a prompt is 300 ms)")
        #expect(waitFor(5) {
            let statistics = player.statistics
            return statistics.dropped + statistics.superseded == Prompt.allCases.count
        }, "\(player.statistics)")
        guard case .missing = player.status.device else {
            Issue.record("status: \(player.status.device)")
            return
        }
        let problem = try #require(player.status.device.problem(pcm: "nonexistent"))
        #expect(problem.what.description.hasPrefix("no sound device 'nonexistent'") && problem.fix.description.contains("aplay -l") && problem.fix.description.contains("[voice] pcm"))
        let warnings = log.messages.filter { $0.hasPrefix("warning") }
        #expect(warnings.count == 1, "one warning, not one per prompt: \(warnings)")
        #expect(warnings.first?.contains("no sound device 'nonexistent'") == true)
        #expect(player.statistics.played == 0)
    }

    @Test("a missing prompt file: one warning naming it, the other prompts play, that one stays silent", .timeLimit(.minutes(1)))
    func missingPrompt() throws {
        let folder = try TestSound.prompts("missing-prompt", only: TonePrompts.names.filter { $0 != "not_in_stock" })
        let log = CapturedLog()
        let player = VoicePlayer(settings: .init(pcm: "vt_prompt", volume: 100, promptsDirectory: folder), logger: log.logger)
        defer { player.stop() }
        #expect(player.status.promptProblems == [.notInStock: "the file is missing"])
        let warnings = log.messages.filter { $0.hasPrefix("warning") }
        #expect(warnings.count == 1 && warnings[0].contains("not_in_stock.wav (the file is missing)"), "\(warnings)")
        player.say(.notInStock)
        #expect(waitFor(5) { player.statistics.dropped == 1 }, "\(player.statistics)")
        player.say(.received)
        #expect(waitFor(5) { player.statistics.played == 1 }, "\(player.statistics)")
        #expect(TonePrompts.heard(TonePrompts.recorded(TestSound.recording("vt_prompt"))).names == ["received"])
        #expect(log.messages.filter { $0.hasPrefix("warning") }.count == 1)
    }

    @Test("prompts of different rates play one after the other, each exactly", .timeLimit(.minutes(1)))
    func differentRates() throws {
        let folder = try TestSound.prompts("rates")
        let high = (0..<4_410).map { Int16(truncatingIfNeeded: $0 * 7 + 1) }
        try TonePrompts.writeFile(folder + "/rescan.wav", TonePrompts.wav(high, sampleRate: 44_100))
        let player = VoicePlayer(settings: .init(pcm: "vt_rates", volume: 100, promptsDirectory: folder), logger: Logger(label: "test"))
        defer { player.stop() }
        player.say(.received)
        #expect(waitFor(5) { player.statistics.played == 1 })
        player.say(.rescan)
        #expect(waitFor(5) { player.statistics.played == 2 }, "\(player.statistics)")
        player.say(.received)
        #expect(waitFor(5) { player.statistics.played == 3 }, "\(player.statistics)")
        let recorded = TonePrompts.recorded(TestSound.recording("vt_rates"))
        let tone = TonePrompts.samples(named: "received")
        let start = try #require((tone.count..<recorded.count).first { recorded[$0] != 0 }, "the second prompt")
        #expect(Array(recorded.prefix(tone.count)) == tone)
        #expect(Array(recorded[start..<min(recorded.count, start + high.count)]) == high, "44.1 kHz samples as they are")
        #expect(player.status.device == .ready)
    }

    @Test("a device that appears later is opened at the first prompt after the retry interval, and said to work again", .timeLimit(.minutes(1)))
    func retriesTheDevice() throws {
        let folder = try TestSound.prompts("late")
        let log = CapturedLog()
        let player = VoicePlayer(
            settings: .init(pcm: "vt_late", volume: 100, promptsDirectory: folder), logger: log.logger, retryInterval: 300_000_000)
        defer { player.stop() }
        #expect(waitFor(5) { player.status.device != .notOpened })
        guard case .missing = player.status.device else {
            Issue.record("\(player.status.device)")
            return
        }
        try TestSound.define(["vt_late"])
        player.say(.received)
        #expect(waitFor(5) { player.statistics.dropped == 1 }, "within the retry interval: not tried again")
        usleep(350_000)
        player.say(.undone)
        #expect(waitFor(5) { player.statistics.played == 1 }, "\(player.statistics)")
        #expect(player.status.device == .ready)
        #expect(TonePrompts.heard(TonePrompts.recorded(TestSound.recording("vt_late"))).names == ["undone"])
        let said = log.messages.filter { $0.contains("vt_late") }
        #expect(said.count == 2 && said[0].hasPrefix("warning") && said[1].contains("works again"), "\(said)")
    }

    @Test("benchmark: a prompt's first samples reach snd_pcm_writei within 150 ms of the request (SPEC §6), over 200 requests", .timeLimit(.minutes(1)))
    func startLatency() throws {
        let folder = try TestSound.prompts("latency", seconds: 0.05)
        let player = VoicePlayer(settings: .init(pcm: "vt_latency", volume: 100, promptsDirectory: folder), logger: Logger(label: "test"))
        defer { player.stop() }
        #expect(waitFor(5) { player.status.device == .ready }, "\(player.status)")
        for index in 0..<200 {
            player.say(Prompt.allCases[index % Prompt.allCases.count])
            // Each request waits for the one before to be played: every one of them starts.
            _ = waitFor(2) { player.statistics.played == index + 1 }
        }
        let latencies = player.statistics.startLatencies.sorted()
        try #require(latencies.count == 200, "\(player.statistics)")
        let p50 = latencies[99]
        let p99 = latencies[197]
        print("voice start latency over 200 prompts: p50 \(p50 / 1_000) µs, p99 \(p99 / 1_000) µs, max \(latencies.last! / 1_000) µs")
        #expect(p99 < 150_000_000)
    }
}
