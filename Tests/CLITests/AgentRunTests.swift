import Foundation
import StationTestSupport
import Testing
import USBEmulator

/// The real `station-agent run` binary against emulated scanners: plug, scan, plug another,
/// unplug, SIGHUP, SIGTERM; then the journal is checked through `station-agent scans --json`.
@Suite(
    "station-agent run end to end", .serialized,
    .enabled(if: USBTestbed.isAvailable, "needs the umockdev preload: run `make test`"))
struct AgentRunTests {
    /// Boot-keyboard reports that type `text` and Enter: press (with Shift for capitals), release.
    static func keyboardReports(_ text: String) -> [[UInt8]] {
        Typist.type(text)
    }

    static let configuration = """
        station_id = "e2e-station"
        station_name = "测试点"
        timezone = "Asia/Shanghai"
        duplicate_window_seconds = 1

        [[devices]]
        name = "desk-scanner"
        vendor_id = "0c2e"
        port = "1-1.2"
        role = "inbound"

        [[devices]]
        name = "release-device"
        vendor_id = "1eab"
        protocol = "cdc-acm"
        role = "outbound"
        feedback = { ok = "OK\\r\\n", not_in_stock = "NG1\\r\\n", already_released = "NG2\\r\\n", rejected = "NG3\\r\\n" }
        """

    @Test("plug, scan, plug a second scanner, unplug the first, reload, stop: every scan exactly once", .timeLimit(.minutes(2)))
    func fullSession() async throws {
        try await TestbedLock.withTestbed { testbed in
            let directory = try scratchDirectory("agent-e2e-\(UInt32.random(in: 0...UInt32.max))")
            defer { try? FileManager.default.removeItem(at: directory) }
            let configFile = directory.appendingPathComponent("station-agent.toml")
            try Self.configuration.write(to: configFile, atomically: false, encoding: .utf8)
            let dataDirectory = directory.appendingPathComponent("data").path

            try testbed.add(fixture: fixturePath("roothub.umockdev"))
            let desk = try EmulatedUSBDevice(fixture: fixturePath("keyboard-scanner.umockdev"))
            try testbed.plug(desk)
            let keyboard = try EmulatedUSBDevice(fixture: fixturePath("ordinary-keyboard.umockdev"))
            try testbed.plug(keyboard)

            let agent = try BackgroundAgent(
                ["run", "--config", configFile.path], environment: ["STATION_AGENT_DATA_DIR": dataDirectory])
            defer { agent.kill() }

            // The agent claims the desk scanner (detaching usbhid) and leaves the keyboard alone.
            try await agent.waitFor(20, "the agent to claim the desk scanner") { desk.claimedInterfaces.contains(0) }
            #expect(desk.events.prefix(2) == ["detach 0", "claim 0"])

            // Three receipts from the desk scanner, one of them twice (a duplicate within the 1 s window).
            let receipts = ["SF1122334455667", "YT6900634716900", "JT0006968326954"]
            for code in receipts + ["SF1122334455667"] { desk.deliver(endpoint: 0x81, reports: Self.keyboardReports(code)) }
            try await agent.waitFor(20, "the desk scanner's reports to be read") { desk.undeliveredReports == 0 }

            // A release device arrives later (hotplug) and releases two parcels, one never received.
            let release = try EmulatedUSBDevice(fixture: fixturePath("cdcacm-scanner.umockdev"))
            try testbed.plug(release)
            try await agent.waitFor(20, "the agent to claim the release device") { release.claimedInterfaces.contains(1) }
            release.deliver(endpoint: 0x81, Array("SF1122334455667\r\n".utf8), Array("7731949173963".utf8), Array("13\r\n".utf8))
            try await agent.waitFor(20, "two verdicts on the release device") { (release.written[0x02]?.count ?? 0) >= 2 }
            #expect(release.written[0x02] == [Array("OK\r\n".utf8), Array("NG1\r\n".utf8)], "ok, then not in stock")

            // The desk scanner is unplugged while the release device keeps working; reports it
            // would have sent afterwards never reach the agent.
            testbed.unplug(desk)
            desk.deliver(endpoint: 0x81, reports: Self.keyboardReports("ZT000000000001"))

            // SIGHUP: the configuration is reloaded; the release device keeps reading, unclaimed never.
            agent.signal(SIGHUP)
            // Past the duplicate window, a second release of the same parcel is a repeat, not a duplicate.
            try await Task.sleep(for: .milliseconds(1200))
            release.deliver(endpoint: 0x81, Array("SF1122334455667\r\n".utf8))
            try await agent.waitFor(20, "the third verdict") { (release.written[0x02]?.count ?? 0) >= 3 }
            #expect(release.written[0x02]?.last == Array("NG2\r\n".utf8), "already released")
            #expect(release.events.filter { $0.hasPrefix("claim") }.count == 2, "not re-claimed by the reload: \(release.events)")

            // SIGTERM: stop reading, commit, exit 0; the kernel drivers are given back.
            agent.signal(SIGTERM)
            let status = try await agent.waitForExit(timeout: 20)
            #expect(status == 0, "stderr:\n\(agent.standardError)")
            #expect(!agent.standardError.contains(" ERROR ") && !agent.standardError.contains(" CRITICAL "),
                "a clean session logs no error:\n\(agent.standardError)")
            #expect(release.kernelDriver(interface: 0) == "cdc_acm" && release.kernelDriver(interface: 1) == "cdc_acm")
            #expect(keyboard.events.isEmpty, "the ordinary keyboard was never touched: \(keyboard.events)")
            #expect(agent.standardError.contains("not a known scanner maker") || agent.standardError.contains("not one of the configured"))

            // The journal: every scan exactly once, with the right device names and outcomes.
            let scans = try AgentProcess.agent(["scans", "--json", "--config", configFile.path], environment: ["STATION_AGENT_DATA_DIR": dataDirectory])
            #expect(scans.status == 0, "\(scans.standardError)")
            let events = try #require(try AgentProcess.json(scans.standardOutput) as? [[String: Any]])
            let summary = events.map { "\($0["device"] as? String ?? "?") \($0["outcome"] as? String ?? "?") \($0["code"] as? String ?? "?")" }
            #expect(summary == [
                "desk-scanner received SF1122334455667",
                "desk-scanner received YT6900634716900",
                "desk-scanner received JT0006968326954",
                "desk-scanner duplicate SF1122334455667",
                "release-device released SF1122334455667",
                "release-device released_unmatched 773194917396313",
                "release-device repeat_release SF1122334455667",
            ])
            #expect(events.allSatisfy { ($0["source"] as? String) == "usb" })
            let seqs = events.compactMap { $0["seq"] as? Int }
            #expect(seqs == Array(seqs.sorted()) && Set(seqs).count == seqs.count)
            #expect(!summary.contains { $0.contains("ZT000") }, "nothing from the scanner after it left")

            // Today's count files were refreshed at stop, and agree with the journal.
            let outbox = dataDirectory + "/outbox"
            let files = try FileManager.default.contentsOfDirectory(atPath: outbox).sorted()
            let jsonName = try #require(files.first { $0.hasPrefix("e2e-station_") && $0.hasSuffix(".json") }, "\(files)")
            #expect(files.contains(String(jsonName.dropLast(5)) + ".csv") && files.contains("SHA256SUMS"))
            let counts = try #require(try AgentProcess.json(String(contentsOfFile: outbox + "/" + jsonName, encoding: .utf8)) as? [String: Any])
            #expect(counts["final"] as? Bool == false, "today is still open")
            #expect(counts["station_name"] as? String == "测试点")
            let totals = try #require(counts["totals"] as? [String: Int])
            #expect(totals["inbound"] == 3)
            #expect(totals["outbound"] == 2)
            #expect(totals["unmatched_outbound"] == 1)
            #expect(totals["repeat_outbound"] == 1)
            #expect(totals["duplicates_suppressed"] == 1)
            #expect(totals["in_stock_end"] == 2, "YT and JT are still in stock")
            #expect(totals["rejected"] == 0)
            let byDevice = try #require(counts["by_device"] as? [String: [String: Int]])
            #expect(byDevice["desk-scanner"]?["inbound"] == 3)
            #expect(byDevice["release-device"]?["outbound"] == 2)
            let verify = try AgentProcess.agent(["verify", "--config", configFile.path], environment: ["STATION_AGENT_DATA_DIR": dataDirectory])
            #expect(verify.status == 0, "verify: \(verify.standardOutput)\(verify.standardError)")
        }
    }
}

extension AgentRunTests {
    @Test("a scanner another program holds is retried with backoff and read once it is free", .timeLimit(.minutes(1)))
    func retriesBusyScanner() async throws {
        try await TestbedLock.withTestbed { testbed in
            let directory = try scratchDirectory("agent-retry")
            defer { try? FileManager.default.removeItem(at: directory) }
            try testbed.add(fixture: fixturePath("roothub.umockdev"))
            let scanner = try EmulatedUSBDevice(fixture: fixturePath("keyboard-scanner.umockdev"))
            scanner.holdElsewhere(interface: 0)
            try testbed.plug(scanner)
            let agent = try BackgroundAgent(
                ["run"], environment: ["STATION_AGENT_DATA_DIR": directory.appendingPathComponent("data").path, "STATION_AGENT_LOG_LEVEL": "debug"])
            defer { agent.kill() }
            // Busy: the agent says so once, in plain words, and keeps trying.
            try await waitUntil(15, "the agent to report the busy scanner") { agent.standardError.contains("cannot use scanner 'honeywell@1-1.2'") }
            #expect(scanner.claimedInterfaces.isEmpty)
            // Two more attempts (their debug lines show them), and still the one warning.
            try await waitUntil(15, "two more attempts") { agent.standardError.components(separatedBy: "still cannot be used").count >= 3 }
            #expect(agent.standardError.components(separatedBy: "cannot use scanner").count == 2, "said once, not at every attempt")
            // The other program lets go: the next attempt claims it and scans are read.
            scanner.releaseHold(interface: 0)
            try await waitUntil(20, "the agent to claim the scanner after the backoff") { scanner.claimedInterfaces.contains(0) }
            scanner.deliver(endpoint: 0x81, reports: Self.keyboardReports("SF1122334455667"))
            try await waitUntil(20, "the scan to be accepted") { agent.standardError.contains("received SF1122334455667") }
            agent.signal(SIGTERM)
            #expect(try await agent.waitForExit(timeout: 20) == 0)
        }
    }
}

/// A `station-agent` process running in the background while the test drives devices.
final class BackgroundAgent: @unchecked Sendable {
    let process = Process()
    private let errorPipe = Pipe()
    private let lock = NSLock()
    private var errorData = Data()
    private let launched: Bool

    /// - Parameter launcher: a program and its arguments that start the agent (e.g. `/usr/bin/faketime -f +20m`).
    init(_ arguments: [String], environment: [String: String], launcher: [String] = []) throws {
        launched = !launcher.isEmpty
        process.executableURL = URL(fileURLWithPath: launcher.first ?? AgentProcess.agentPath)
        process.arguments = launcher.isEmpty ? arguments : Array(launcher.dropFirst()) + [AgentProcess.agentPath] + arguments
        // Joins the test bed: the test that starts it holds it.
        var env = ProcessInfo.processInfo.environment
        env["STATION_AGENT_CONFIG"] = ""
        env.merge(environment) { $1 }
        process.environment = env
        process.standardOutput = FileHandle.nullDevice
        process.standardError = errorPipe
        errorPipe.fileHandleForReading.readabilityHandler = { [weak self] handle in
            let data = handle.availableData
            guard let self, !data.isEmpty else { return }
            self.lock.lock()
            self.errorData.append(data)
            self.lock.unlock()
        }
        try process.run()
    }

    var standardError: String {
        lock.lock()
        defer { lock.unlock() }
        return String(decoding: errorData, as: UTF8.self)
    }

    /// A bounded wait that shows the agent's log when it runs out.
    func waitFor(_ seconds: Double, _ what: String, _ condition: @escaping @Sendable () -> Bool) async throws {
        do {
            try await waitUntil(seconds, what, condition)
        } catch {
            Issue.record("\(error); the agent's log:\n\(standardError)")
            throw error
        }
    }

    /// Signals the agent. Under a launcher that forks it and waits (Debian's `faketime` does, and forwards no
    /// signal), the launcher's descendants get the signal, and the launcher ends when the agent does.
    func signal(_ number: Int32) {
        guard launched else { Foundation.kill(process.processIdentifier, number); return }
        for pid in Self.descendants(of: process.processIdentifier) { Foundation.kill(pid, number) }
    }

    /// The processes below `pid`, from `/proc/PID/task/*/children`.
    private static func descendants(of pid: Int32) -> [Int32] {
        let tasks = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/\(pid)/task")) ?? []
        let children = tasks.flatMap { task in
            ((try? String(contentsOfFile: "/proc/\(pid)/task/\(task)/children", encoding: .utf8)) ?? "")
                .split(separator: " ").compactMap { Int32($0.trimmingCharacters(in: .whitespacesAndNewlines)) }
        }
        return children + children.flatMap { descendants(of: $0) }
    }

    func waitForExit(timeout: Double) async throws -> Int32 {
        try await waitUntil(timeout, "the agent to exit") { [process] in !process.isRunning }
        errorPipe.fileHandleForReading.readabilityHandler = nil
        return process.terminationStatus
    }

    func kill() {
        guard process.isRunning else { return }
        if launched { signal(SIGKILL) }
        Foundation.kill(process.processIdentifier, SIGKILL)
    }
}

/// Whether this process may mount a tmpfs (root, and not a container that forbids mounts): tried once.
let canMountTmpfs: Bool = {
    guard geteuid() == 0 else { return false }
    guard let probe = (try? scratchDirectory("mount-probe"))?.path else { return false }
    defer { try? FileManager.default.removeItem(atPath: probe) }
    let plain = AgentProcess.testbedVariables
    guard let mounted = try? AgentProcess.run("/bin/mount", ["-t", "tmpfs", "-o", "size=1m", "tmpfs", probe], removing: plain),
          mounted.status == 0
    else { return false }
    _ = try? AgentProcess.run("/bin/umount", [probe], removing: plain)
    return true
}()

extension AgentRunTests {
    /// The data directory on a small tmpfs that the test fills: a real "no space left on device".
    @Test(
        "a stop while the disk is full ends within systemd's stop timeout and names the scans not recorded",
        .timeLimit(.minutes(1)),
        .enabled(if: canMountTmpfs, "mounts a small tmpfs to fill: needs root and a kernel that lets it mount (CI has both)"))
    func stopWhileTheDiskIsFull() async throws {
        try await TestbedLock.withTestbed { testbed in
            let directory = try scratchDirectory("agent-full")
            defer { try? FileManager.default.removeItem(at: directory) }
            let plain = AgentProcess.testbedVariables
            let mount = try AgentProcess.run("/bin/mount", ["-t", "tmpfs", "-o", "size=4m", "tmpfs", directory.path], removing: plain)
            try #require(mount.status == 0, "cannot mount a tmpfs: \(mount.standardError)")
            defer { _ = try? AgentProcess.run("/bin/umount", ["-l", directory.path], removing: plain) }
            try testbed.add(fixture: fixturePath("roothub.umockdev"))
            let scanner = try EmulatedUSBDevice(fixture: fixturePath("keyboard-scanner.umockdev"))
            try testbed.plug(scanner)
            let agent = try BackgroundAgent(["run"], environment: ["STATION_AGENT_DATA_DIR": directory.appendingPathComponent("data").path])
            defer { agent.kill() }
            try await waitUntil(20, "the journal to open and the scanner to be claimed") {
                agent.standardError.contains("journal open") && scanner.claimedInterfaces.contains(0)
            }
            // Fill the disk: dd stops at "No space left on device".
            let fill = try AgentProcess.run(
                "/bin/dd", ["if=/dev/zero", "of=\(directory.path)/filler", "bs=64k"], removing: plain, timeout: 20)
            #expect(fill.standardError.contains("No space left"), "dd: \(fill.standardError)")

            scanner.deliver(endpoint: 0x81, reports: Self.keyboardReports("SF1122334455667"))
            try await waitUntil(20, "the journal to report the full disk") { agent.standardError.contains("journal cannot commit") }
            #expect(!agent.standardError.contains("received SF1122334455667"), "a scan was reported accepted on a full disk")

            agent.signal(SIGTERM)
            let started = ContinuousClock.now
            #expect(try await agent.waitForExit(timeout: 25) == 0, "\(agent.standardError.suffix(2_000))")
            #expect(ContinuousClock.now - started < .seconds(25), "systemd's TimeoutStopSec is 30 s")
            let notRecorded = agent.standardError.split(separator: "\n").filter { $0.contains("NOT recorded") }
            #expect(notRecorded.contains { $0.contains("honeywell@1-1.2: \"SF1122334455667") }, "\(notRecorded)")
        }
    }
}

extension AgentRunTests {
    @Test("SIGHUP applies a new duplicate window from the next scan and a new station name to the count files",
          .timeLimit(.minutes(1)))
    func reloadAppliesRulesAndCountSettings() async throws {
        try await TestbedLock.withTestbed { testbed in
            let directory = try scratchDirectory("agent-reload")
            defer { try? FileManager.default.removeItem(at: directory) }
            let configFile = directory.appendingPathComponent("station-agent.toml")
            func configuration(name: String, window: Int) -> String {
                """
                station_id = "reload-station"
                station_name = "\(name)"
                timezone = "Asia/Shanghai"
                duplicate_window_seconds = \(window)

                [[devices]]
                name = "desk-scanner"
                vendor_id = "0c2e"
                port = "1-1.2"
                role = "inbound"
                """
            }
            try configuration(name: "旧点", window: 0).write(to: configFile, atomically: false, encoding: .utf8)
            let dataDirectory = directory.appendingPathComponent("data").path
            try testbed.add(fixture: fixturePath("roothub.umockdev"))
            let desk = try EmulatedUSBDevice(fixture: fixturePath("keyboard-scanner.umockdev"))
            try testbed.plug(desk)
            let agent = try BackgroundAgent(
                ["run", "--config", configFile.path], environment: ["STATION_AGENT_DATA_DIR": dataDirectory])
            defer { agent.kill() }
            let code = "SF1122334455667"
            try await waitUntil(20, "the agent to claim the desk scanner") { desk.claimedInterfaces.contains(0) }

            // Window 0: a second read of the same label is counted as a rescan, not suppressed.
            desk.deliver(endpoint: 0x81, reports: Self.keyboardReports(code))
            try await waitUntil(20, "the first scan") { agent.standardError.contains("received \(code)") }
            desk.deliver(endpoint: 0x81, reports: Self.keyboardReports(code))
            try await waitUntil(20, "the second scan") { agent.standardError.contains("rescan \(code)") }

            // A 10-minute window and a new name, then SIGHUP: the third read is a duplicate.
            try configuration(name: "新点", window: 600).write(to: configFile, atomically: false, encoding: .utf8)
            agent.signal(SIGHUP)
            try await waitUntil(20, "the reload") { agent.standardError.contains("configuration reloaded") }
            desk.deliver(endpoint: 0x81, reports: Self.keyboardReports(code))
            try await waitUntil(20, "the third scan") { agent.standardError.contains("duplicate \(code)") }
            #expect(desk.events.filter { $0.hasPrefix("claim") }.count == 1, "the unchanged scanner kept reading")

            agent.signal(SIGTERM)
            #expect(try await agent.waitForExit(timeout: 20) == 0, "\(agent.standardError)")
            let scans = try AgentProcess.agent(
                ["scans", "--json", "--config", configFile.path], environment: ["STATION_AGENT_DATA_DIR": dataDirectory])
            let events = try #require(try AgentProcess.json(scans.standardOutput) as? [[String: Any]], "\(scans.standardError)")
            #expect(events.map { $0["outcome"] as? String } == ["received", "rescan", "duplicate"])
            // The count files written at stop carry the reloaded name.
            let outbox = dataDirectory + "/outbox"
            let files = try FileManager.default.contentsOfDirectory(atPath: outbox)
            let jsonName = try #require(files.first { $0.hasPrefix("reload-station_") && $0.hasSuffix(".json") }, "\(files)")
            let counts = try #require(
                try AgentProcess.json(String(contentsOfFile: outbox + "/" + jsonName, encoding: .utf8)) as? [String: Any])
            #expect(counts["station_name"] as? String == "新点")
            #expect((counts["totals"] as? [String: Int])?["duplicates_suppressed"] == 1)
        }
    }
}
