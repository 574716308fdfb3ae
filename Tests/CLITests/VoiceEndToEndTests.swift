import Foundation
import StationTestSupport
import Testing
import USBEmulator

/// SPEC §6's spoken verdicts through the real `station-agent run`: an emulated keyboard-wedge scanner types a
/// session, ALSA's `file` plugin records what the agent played, and the tone prompts tell which prompt was heard.
@Suite(
    "spoken verdicts end to end", .serialized,
    .enabled(if: USBTestbed.isAvailable, "needs the umockdev preload: run `make test`"))
struct VoiceEndToEndTests {
    /// What the scanner types, and what the box must say after each (SPEC §6).
    static let session: [(code: String, outcome: String, prompt: String)] = [
        ("SF1122334455667", "received", "received"),
        ("SF1122334455667", "duplicate", "duplicate"),  // again within the 5 s duplicate window
        ("#STATION:OUT", "command", "mode_out"),
        ("SF1122334455667", "released", "released"),
        ("YT6900634716900", "released_unmatched", "not_in_stock"),  // never received
        ("SF1122334455667", "repeat_release", "already_released"),  // after the window: a repeat, not a duplicate
        ("ABC", "rejected", "rejected"),  // too short to be a parcel code
        ("#STATION:UNDO", "command", "undone"),  // cancels the release of YT6900634716900
        ("#STATION:IN", "command", "mode_in"),
    ]
    /// Index of the scan that must come more than the duplicate window after the one before it of the same code.
    static let afterWindow = 5

    struct Station {
        let directory: URL
        let configFile: URL
        let dataDirectory: String
        let alsaConfigPath: String
        let recording: String

        init(name: String, pcm: String) throws {
            directory = try scratchDirectory("voice-e2e-\(name)-\(UInt32.random(in: 0...UInt32.max))")
            let prompts = directory.appendingPathComponent("prompts").path
            try FileManager.default.createDirectory(atPath: prompts, withIntermediateDirectories: true)
            try TonePrompts.write(to: prompts)
            alsaConfigPath = try TonePrompts.writeAlsaConfiguration(in: directory.path, pcms: ["capture"])
            recording = directory.appendingPathComponent("capture.raw").path
            configFile = directory.appendingPathComponent("station-agent.toml")
            dataDirectory = directory.appendingPathComponent("data").path
            try """
                station_id = "voice-station"
                timezone = "Asia/Shanghai"

                [voice]
                enabled = true
                pcm = "\(pcm)"
                volume = 100
                prompts_dir = "\(prompts)"

                [[devices]]
                name = "desk"
                vendor_id = "0c2e"
                role = "switchable"
                """.write(to: configFile, atomically: false, encoding: .utf8)
        }

        var environment: [String: String] {
            ["STATION_AGENT_DATA_DIR": dataDirectory, "ALSA_CONFIG_PATH": alsaConfigPath, "STATION_AGENT_LOG_LEVEL": "debug"]
        }

        func journal() throws -> [String] {
            let scans = try AgentProcess.agent(["scans", "--json", "--config", configFile.path], environment: ["STATION_AGENT_DATA_DIR": dataDirectory])
            guard scans.status == 0 else { return ["scans failed: \(scans.standardError)"] }
            let events = try #require(try AgentProcess.json(scans.standardOutput) as? [[String: Any]])
            return events.map { "\($0["outcome"] as? String ?? "?") \($0["code"] as? String ?? "?")" }
        }
    }

    /// Types the session on an emulated keyboard-wedge scanner; after each code, `heard(index)` must become true.
    func typeSession(
        _ station: Station, testbed: USBTestbed, extraEnvironment: [String: String] = [:],
        heard: @escaping @Sendable (Int, BackgroundAgent) -> Bool
    ) async throws -> BackgroundAgent {
        try testbed.add(fixture: fixturePath("roothub.umockdev"))
        let desk = try EmulatedUSBDevice(fixture: fixturePath("keyboard-scanner.umockdev"))
        try testbed.plug(desk)
        let agent = try BackgroundAgent(
            ["run", "--config", station.configFile.path], environment: station.environment.merging(extraEnvironment) { $1 })
        try await agent.waitFor(20, "the agent to claim the scanner") { desk.claimedInterfaces.contains(0) }
        var windowStart = ContinuousClock.now
        for (index, scan) in Self.session.enumerated() {
            if index == Self.afterWindow {
                // More than the 5 s duplicate window after the release of the same code.
                try await Task.sleep(until: windowStart + .milliseconds(5_300))
            }
            if index == Self.afterWindow - 2 { windowStart = ContinuousClock.now }
            desk.deliver(endpoint: 0x81, reports: Typist.type(scan.code))
            try await agent.waitFor(10, "scan \(index + 1) (\(scan.code)) to be answered") { heard(index, agent) }
        }
        return agent
    }

    @Test("every verdict of a session is spoken, in order, the prompt of each and only that", .timeLimit(.minutes(2)))
    func spokenSession() async throws {
        try await TestbedLock.withTestbed { testbed in
            let station = try Station(name: "capture", pcm: "capture")
            defer { try? FileManager.default.removeItem(at: station.directory) }
            let recording = station.recording
            let agent = try await typeSession(station, testbed: testbed) { index, _ in
                TonePrompts.heard(TonePrompts.recorded(recording)).names.count >= index + 1
            }
            defer { agent.kill() }
            let heard = TonePrompts.heard(TonePrompts.recorded(recording))
            #expect(heard.names == Self.session.map(\.prompt), "\(agent.standardError)")
            #expect(heard.unrecognized == nil, "only whole prompts and silence were recorded")
            agent.signal(SIGTERM)
            #expect(try await agent.waitForExit(timeout: 20) == 0, "\(agent.standardError)")
            #expect(try station.journal() == Self.session.map { "\($0.outcome) \(Self.normalized($0.code))" })
            let log = agent.standardError
            // The undo's log line says what it cancelled (issue #10, defect 12).
            let undoLine = log.split(separator: "\n").first { $0.contains("command #STATION:UNDO") }
            #expect(undoLine?.contains("undoes=") == true && undoLine?.contains("(YT6900634716900)") == true, "\(undoLine ?? "no undo line")")
            // (This machine's clock may be unsynchronised: that warning is not the voice's.)
            let warnings = log.split(separator: "\n").filter { $0.contains(" WARNING voice") || $0.contains(" ERROR ") }
            #expect(warnings.isEmpty, "the voice warns about nothing: \(warnings)")
            // The agent's debug lines: how long after the journal's answer each prompt's first samples were written.
            let latencies = log.split(separator: "\n").compactMap { line -> Int? in
                guard let range = line.range(of: "' started ") else { return nil }
                return Int(line[range.upperBound...].prefix { $0.isNumber })
            }
            #expect(latencies.count == Self.session.count, "\(latencies)")
            print("voice e2e: commit to first snd_pcm_writei, µs: \(latencies.sorted())")
            #expect(latencies.allSatisfy { $0 < 150_000 }, "SPEC §6: within 150 ms of the commit: \(latencies)")
        }
    }

    @Test("a sound device that does not exist: every scan is journaled, one warning says what to do", .timeLimit(.minutes(2)))
    func noSoundDevice() async throws {
        try await TestbedLock.withTestbed { testbed in
            let station = try Station(name: "none", pcm: "nonexistent")
            defer { try? FileManager.default.removeItem(at: station.directory) }
            // systemd's notify socket: the STATUS= line says why the box is silent.
            let notify = try NotifySocket(path: station.directory.appendingPathComponent("notify").path)
            let session = Self.session
            let agent = try await typeSession(
                station, testbed: testbed, extraEnvironment: ["NOTIFY_SOCKET": notify.path, "WATCHDOG_USEC": "2000000"]
            ) { index, agent in
                // The agent's line for each accepted scan: "<outcome> <code>".
                agent.standardError.components(separatedBy: "\(session[index].outcome) \(Self.normalized(session[index].code))").count
                    > session[0...index].filter { $0.outcome == session[index].outcome && $0.code == session[index].code }.count
            }
            defer { agent.kill() }
            agent.signal(SIGTERM)
            #expect(try await agent.waitForExit(timeout: 20) == 0, "\(agent.standardError)")
            #expect(try station.journal() == Self.session.map { "\($0.outcome) \(Self.normalized($0.code))" })
            let warnings = agent.standardError.split(separator: "\n").filter { $0.contains("no sound device 'nonexistent'") }
            #expect(warnings.count == 1, "one warning, not one per scan: \(warnings)")
            #expect(warnings.first?.contains("aplay -l") == true && warnings.first?.contains("[voice] pcm") == true)
            #expect(!TonePrompts.names.contains { agent.standardError.contains("voice: '\($0)' started") }, "nothing was played")
            let statuses = notify.receive().filter { $0.hasPrefix("STATUS=") }
            #expect(statuses.contains { $0.contains("; voice silent: no sound device 'nonexistent'") }, "\(statuses)")
        }
    }

    @Test("SIGHUP applies a changed [voice]: another device speaks the next verdict; switched off, nothing more is spoken", .timeLimit(.minutes(2)))
    func reloadChangesTheVoice() async throws {
        try await TestbedLock.withTestbed { testbed in
            let station = try Station(name: "reload", pcm: "capture")
            defer { try? FileManager.default.removeItem(at: station.directory) }
            let second = try TonePrompts.writeAlsaConfiguration(in: station.directory.path, pcms: ["capture", "second"])
            #expect(second == station.alsaConfigPath, "the same asound.conf, now with two PCMs")
            let secondRecording = station.directory.appendingPathComponent("second.raw").path
            let original = try String(contentsOf: station.configFile, encoding: .utf8)
            try testbed.add(fixture: fixturePath("roothub.umockdev"))
            let desk = try EmulatedUSBDevice(fixture: fixturePath("keyboard-scanner.umockdev"))
            try testbed.plug(desk)
            let agent = try BackgroundAgent(["run", "--config", station.configFile.path], environment: station.environment)
            defer { agent.kill() }
            let recording = station.recording
            try await agent.waitFor(20, "the agent to claim the scanner") { desk.claimedInterfaces.contains(0) }
            desk.deliver(endpoint: 0x81, reports: Typist.type("SF1122334455667"))
            try await agent.waitFor(10, "the first receipt to be spoken") { TonePrompts.heard(TonePrompts.recorded(recording)).names == ["received"] }

            // Another device while on: the player reopens it, the next verdict is spoken there.
            try original.replacingOccurrences(of: "pcm = \"capture\"", with: "pcm = \"second\"")
                .write(to: station.configFile, atomically: true, encoding: .utf8)
            agent.signal(SIGHUP)
            try await agent.waitFor(10, "the reload") { agent.standardError.contains("voice: reloaded: device 'second'") }
            desk.deliver(endpoint: 0x81, reports: Typist.type("YT6900634716900"))
            try await agent.waitFor(10, "the second receipt to be spoken on the second device") {
                TonePrompts.heard(TonePrompts.recorded(secondRecording)).names == ["received"]
            }
            #expect(TonePrompts.heard(TonePrompts.recorded(recording)).names == ["received"], "the first device heard no more")

            // Off: the scan is journaled, nothing more is played.
            try original.replacingOccurrences(of: "enabled = true", with: "enabled = false")
                .write(to: station.configFile, atomically: true, encoding: .utf8)
            agent.signal(SIGHUP)
            try await agent.waitFor(10, "the voice to be switched off") { agent.standardError.contains("voice: off") }
            desk.deliver(endpoint: 0x81, reports: Typist.type("JT0006968326954"))
            try await agent.waitFor(10, "the third receipt") { agent.standardError.contains("received JT0006968326954") }
            try await Task.sleep(for: .milliseconds(500))
            #expect(TonePrompts.heard(TonePrompts.recorded(secondRecording)).names == ["received"], "nothing spoken while off")
            #expect(TonePrompts.heard(TonePrompts.recorded(recording)).names == ["received"])
            agent.signal(SIGTERM)
            #expect(try await agent.waitForExit(timeout: 20) == 0, "\(agent.standardError)")
        }
    }

    @Test(
        "a full disk: the scan held back is answered with the storage fault, its verdict follows once it commits",
        .timeLimit(.minutes(1)),
        .enabled(if: canMountTmpfs, "mounts a small tmpfs to fill: needs root and a kernel that lets it mount (CI has both)"))
    func storageFault() async throws {
        try await TestbedLock.withTestbed { testbed in
            let station = try Station(name: "full", pcm: "capture")
            defer { try? FileManager.default.removeItem(at: station.directory) }
            let plain = AgentProcess.testbedVariables
            try FileManager.default.createDirectory(atPath: station.dataDirectory, withIntermediateDirectories: true)
            let mount = try AgentProcess.run("/bin/mount", ["-t", "tmpfs", "-o", "size=4m", "tmpfs", station.dataDirectory], removing: plain)
            try #require(mount.status == 0, "cannot mount a tmpfs: \(mount.standardError)")
            defer { _ = try? AgentProcess.run("/bin/umount", ["-l", station.dataDirectory], removing: plain) }
            try testbed.add(fixture: fixturePath("roothub.umockdev"))
            let desk = try EmulatedUSBDevice(fixture: fixturePath("keyboard-scanner.umockdev"))
            try testbed.plug(desk)
            let agent = try BackgroundAgent(["run", "--config", station.configFile.path], environment: station.environment)
            defer { agent.kill() }
            try await waitUntil(20, "the journal to open and the scanner to be claimed") {
                agent.standardError.contains("journal open") && desk.claimedInterfaces.contains(0)
            }
            let fill = try AgentProcess.run(
                "/bin/dd", ["if=/dev/zero", "of=\(station.dataDirectory)/filler", "bs=64k"], removing: plain, timeout: 20)
            #expect(fill.standardError.contains("No space left"), "dd: \(fill.standardError)")
            let recording = station.recording
            desk.deliver(endpoint: 0x81, reports: Typist.type("SF1122334455667"))
            try await waitUntil(10, "the storage fault to be spoken") {
                TonePrompts.heard(TonePrompts.recorded(recording)).names == ["storage_fault"]
            }
            #expect(agent.standardError.contains("journal cannot commit"))
            #expect(!agent.standardError.contains("received SF1122334455667"), "not accepted on a full disk")
            // Space again: the held scan commits and its verdict is spoken.
            try FileManager.default.removeItem(atPath: station.dataDirectory + "/filler")
            try await waitUntil(20, "the held scan to commit and be spoken") {
                TonePrompts.heard(TonePrompts.recorded(recording)).names == ["storage_fault", "received"]
            }
            agent.signal(SIGTERM)
            #expect(try await agent.waitForExit(timeout: 20) == 0, "\(agent.standardError.suffix(2_000))")
        }
    }

    @Test("benchmark: 200 scans through the agent, each prompt's first samples written within 150 ms of the commit", .timeLimit(.minutes(2)))
    func startLatency() async throws {
        try await TestbedLock.withTestbed { testbed in
            let station = try Station(name: "latency", pcm: "capture")
            defer { try? FileManager.default.removeItem(at: station.directory) }
            // Short prompts (50 ms), so 200 scans take seconds, not minutes.
            try TonePrompts.write(to: station.directory.appendingPathComponent("prompts").path, seconds: 0.05)
            try testbed.add(fixture: fixturePath("roothub.umockdev"))
            let desk = try EmulatedUSBDevice(fixture: fixturePath("keyboard-scanner.umockdev"))
            try testbed.plug(desk)
            let agent = try BackgroundAgent(["run", "--config", station.configFile.path], environment: station.environment)
            defer { agent.kill() }
            try await waitUntil(20, "the agent to claim the scanner") { desk.claimedInterfaces.contains(0) }
            for index in 0..<200 {
                desk.deliver(endpoint: 0x81, reports: Typist.type("SF\(1_000_000_000_000 + index)"))
                // Each scan after the one before was spoken: each prompt starts on a device at rest.
                try await waitUntil(10, "scan \(index + 1) to be spoken") {
                    agent.standardError.components(separatedBy: "' started ").count > index + 1
                }
            }
            let latencies = agent.standardError.split(separator: "\n").compactMap { line -> Int? in
                guard let range = line.range(of: "' started ") else { return nil }
                return Int(line[range.upperBound...].prefix { $0.isNumber })
            }.sorted()
            try #require(latencies.count == 200)
            print("voice e2e benchmark, 200 scans, commit to first snd_pcm_writei: p50 \(latencies[99]) µs, p99 \(latencies[197]) µs, max \(latencies[199]) µs")
            #expect(latencies[197] < 150_000, "SPEC §6: within 150 ms of the commit")
            agent.signal(SIGTERM)
            #expect(try await agent.waitForExit(timeout: 20) == 0)
        }
    }

    /// The journal's code of a typed one (command cards as they are).
    static func normalized(_ code: String) -> String { code }
}

/// A datagram socket standing in for systemd's notify socket.
final class NotifySocket {
    let path: String
    private let fd: Int32

    struct CannotBind: Error {}

    init(path: String) throws {
        self.path = path
        unlink(path)
        fd = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue), 0)
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &address.sun_path) { $0.copyBytes(from: Array(path.utf8)) }
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        guard fd >= 0, bound == 0 else { throw CannotBind() }
    }

    deinit {
        close(fd)
        unlink(path)
    }

    /// Every datagram waiting now.
    func receive() -> [String] {
        var received: [String] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let count = recv(fd, &buffer, buffer.count, Int32(MSG_DONTWAIT))
            guard count > 0 else { return received }
            received.append(String(decoding: buffer[0..<count], as: UTF8.self))
        }
    }
}
