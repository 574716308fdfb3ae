import Foundation
import Hashing
import StationTestSupport
import StoreClient
import Testing
import USBEmulator

/// The real stores `make test` starts (Tests/Servers/stores): their addresses and secrets from `$STATION_AGENT_STORES`.
struct StoreEnvironment: Sendable {
    let values: [String: String]

    /// The stores, or nil with a failure recorded when `make test` should have started them (a device run that
    /// silently skipped the upload tests would not be green).
    static func required() -> StoreEnvironment? {
        let environment = ProcessInfo.processInfo.environment
        guard let path = environment["STATION_AGENT_STORES"], let text = try? String(contentsOfFile: path, encoding: .utf8) else {
            if environment["STATION_AGENT_REQUIRE_DEVICE_TESTS"] == "1" {
                Issue.record("no test stores: $STATION_AGENT_STORES is not set or unreadable; run `make test` (it starts them)")
            }
            return nil
        }
        var values: [String: String] = [:]
        for line in text.split(separator: "\n") {
            guard let equals = line.firstIndex(of: "=") else { continue }
            var value = String(line[line.index(after: equals)...])
            if value.hasPrefix("'") && value.hasSuffix("'") && value.count >= 2 { value = String(value.dropFirst().dropLast()) }
            values[String(line[..<equals])] = value
        }
        return StoreEnvironment(values: values)
    }

    subscript(_ key: String) -> String { values[key] ?? "" }

    func secret(_ fileKey: String) -> String {
        ((try? String(contentsOfFile: self[fileKey], encoding: .utf8)) ?? "").trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// `stores stop-s3` / `start-s3`: stops or starts only Swift.
    func control(_ command: String) throws -> AgentProcess.Result {
        try AgentProcess.run(self["STORES_SCRIPT"], [command, self["STORES_DIR"]], removing: AgentProcess.testbedVariables, timeout: 60)
    }

    /// A client of the test bucket under `prefix`, with the right secret.
    func s3Client(prefix: String) throws -> StoreClient {
        try StoreClient(target: StoreTarget(
            kind: .s3(bucket: self["STORES_S3_BUCKET"], prefix: prefix, endpoint: self["STORES_S3_ENDPOINT"],
                      region: self["STORES_S3_REGION"], accessKeyID: self["STORES_S3_ACCESS_KEY"], virtualHostStyle: false),
            secret: StoreSecret(secret("STORES_S3_SECRET_FILE"))))
    }
}

/// Issue #12's must-show through the real `station-agent`: `run` under the USB emulator scans and refreshes, and
/// the store holds exactly the count files, byte for byte, under SPEC §8's keys, with the ledger agreeing; the same
/// against nginx over TLS; and the faults: the store stopped and restarted, a wrong secret, a SIGKILL mid-upload,
/// 60 days offline, a clock 20 minutes and 3 years off. In every case no file is lost or wrongly acknowledged, the
/// message is right, and no scan waits for the network.
@Suite(
    "upload to the county store, end to end", .serialized,
    .enabled(if: USBTestbed.isAvailable, "needs the umockdev preload: run `make test`"))
struct UploadEndToEndTests {
    static let station = "up-station"

    /// A scratch folder with a configuration for `[upload]` (the given lines) and a copy of the secret (mode 0600).
    struct Setup {
        let directory: URL
        let config: String
        let dataDirectory: String
        var outbox: String { dataDirectory + "/outbox" }
        let prefix: String

        init(_ name: String, upload: (_ secretFile: String, _ prefix: String) -> String, secret: String) throws {
            directory = try scratchDirectory("upload-\(name)-\(UInt32.random(in: 0...UInt32.max))")
            dataDirectory = directory.appendingPathComponent("data").path
            prefix = "e2e/\(name)-\(UInt32.random(in: 0...UInt32.max))"
            let secretFile = directory.appendingPathComponent("upload.secret").path
            _ = FileManager.default.createFile(atPath: secretFile, contents: Data((secret + "\n").utf8), attributes: [.posixPermissions: 0o600])
            config = directory.appendingPathComponent("station-agent.toml").path
            let text = """
                station_id = "\(UploadEndToEndTests.station)"
                station_name = "上传测试点"
                timezone = "Asia/Shanghai"
                count_refresh_seconds = 10

                [[devices]]
                name = "desk-scanner"
                vendor_id = "0c2e"
                role = "inbound"

                [[devices]]
                name = "release-device"
                vendor_id = "1eab"
                protocol = "cdc-acm"
                role = "outbound"
                feedback = { ok = "OK\\r\\n", not_in_stock = "NG1\\r\\n", already_released = "NG2\\r\\n", rejected = "NG3\\r\\n" }

                [upload]
                \(upload(secretFile, prefix))
                interval_seconds = 10
                """
            try text.write(toFile: config, atomically: false, encoding: .utf8)
        }

        var environment: [String: String] { ["STATION_AGENT_DATA_DIR": dataDirectory] }

        func remove() { try? FileManager.default.removeItem(at: directory) }

        /// The station's count files in the outbox, by name.
        func localFiles() -> [String: [UInt8]] {
            var files: [String: [UInt8]] = [:]
            for name in (try? FileManager.default.contentsOfDirectory(atPath: outbox)) ?? []
            where name.hasPrefix(UploadEndToEndTests.station + "_") && (name.hasSuffix(".json") || name.hasSuffix(".csv")) {
                if let data = FileManager.default.contents(atPath: outbox + "/" + name) { files[name] = Array(data) }
            }
            return files
        }

        /// `upload --status --json`, parsed.
        func status(extra: [String: String] = [:]) throws -> (document: [String: Any], result: AgentProcess.Result) {
            let result = try AgentProcess.agent(["upload", "--status", "--json", "--config", config], environment: environment.merging(extra) { $1 })
            let document = (try? AgentProcess.json(result.standardOutput) as? [String: Any]) ?? [:]
            return (document, result)
        }
    }

    static func s3Upload(_ stores: StoreEnvironment, endpoint: String? = nil, accessKey: String? = nil) -> (String, String) -> String {
        { secretFile, prefix in
            """
            url = "s3://\(stores["STORES_S3_BUCKET"])/\(prefix)"
            endpoint = "\(endpoint ?? stores["STORES_S3_ENDPOINT"])"
            region = "\(stores["STORES_S3_REGION"])"
            access_key_id = "\(accessKey ?? stores["STORES_S3_ACCESS_KEY"])"
            secret_file = "\(secretFile)"
            """
        }
    }

    /// Every object under the client's prefix, by key.
    static func bucket(_ client: StoreClient) throws -> [String: [UInt8]] {
        var objects: [String: [UInt8]] = [:]
        for object in try client.list("") { objects[object.key] = try client.get(object.key) }
        return objects
    }

    /// `totals` of a count file's JSON.
    static func totals(_ json: [UInt8]) -> [String: Int]? {
        ((try? JSONSerialization.jsonObject(with: Data(json))) as? [String: Any])?["totals"] as? [String: Int]
    }

    /// SPEC §8's key of a count file.
    static func key(_ name: String) -> String {
        let date = name.dropFirst(station.count + 1).prefix(10)
        return "date=\(date)/station=\(station)/\(name)"
    }

    /// Whether the store holds exactly the outbox's count files (every one, byte for byte, under its key).
    static func mirrors(_ local: [String: [UInt8]], _ remote: [String: [UInt8]]) -> Bool {
        !local.isEmpty && local.count == remote.count && local.allSatisfy { remote[key($0.key)] == $0.value }
    }

    /// Checks `upload --status --json` says every file is acknowledged with the SHA-256 of its present bytes.
    static func expectAllAcknowledged(_ setup: Setup, _ local: [String: [UInt8]]) throws {
        let (document, result) = try setup.status()
        #expect(result.status == 0, "\(result.standardError)")
        let files = document["files"] as? [[String: Any]] ?? []
        #expect(files.count == local.count, "\(result.standardOutput)")
        for file in files {
            let name = file["file"] as? String ?? "?"
            #expect(file["state"] as? String == "acknowledged", "\(name): \(file)")
            #expect(file["acknowledged_sha256"] as? String == local[name].map { SHA256.hexDigest($0) }, "\(name)")
        }
        #expect(document["waiting"] as? Int == 0)
    }

    @Test("S3: scans and refreshes reach the bucket byte for byte under SPEC §8's keys, and the ledger agrees", .timeLimit(.minutes(2)))
    func s3EndToEnd() async throws {
        guard let stores = StoreEnvironment.required() else { return }
        try await TestbedLock.withTestbed { testbed in
            let setup = try Setup("s3", upload: Self.s3Upload(stores), secret: stores.secret("STORES_S3_SECRET_FILE"))
            defer { setup.remove() }
            try testbed.add(fixture: fixturePath("roothub.umockdev"))
            let desk = try EmulatedUSBDevice(fixture: fixturePath("keyboard-scanner.umockdev"))
            try testbed.plug(desk)
            let agent = try BackgroundAgent(["run", "--config", setup.config], environment: setup.environment)
            defer { agent.kill() }
            let client = try stores.s3Client(prefix: setup.prefix)
            try await waitUntil(20, "the desk scanner claimed") { desk.claimedInterfaces.contains(0) }
            for code in ["SF1122334455667", "YT6900634716900", "JT0006968326954"] {
                desk.deliver(endpoint: 0x81, reports: Typist.type(code))
            }
            // The next refresh (within 10 s) counts the three receipts; its upload follows.
            do {
                try await waitUntil(45, "the bucket to hold today's files with the three receipts") {
                    let local = setup.localFiles()
                    guard let json = local.first(where: { $0.key.hasSuffix(".json") })?.value, Self.totals(json)?["inbound"] == 3
                    else { return false }
                    return (try? Self.mirrors(local, Self.bucket(client))) == true
                }
            } catch {
                Issue.record("agent log:\n\(agent.standardError)")
                throw error
            }
            agent.signal(SIGTERM)
            #expect(try await agent.waitForExit(timeout: 20) == 0, "\(agent.standardError)")
            #expect(agent.standardError.contains("sent to the county store"), "\(agent.standardError)")
            #expect(!agent.standardError.contains(" ERROR ") && !agent.standardError.contains(" CRITICAL "), "\(agent.standardError)")
            #expect(!agent.standardError.contains(stores.secret("STORES_S3_SECRET_FILE")), "the secret is never logged")

            // A scan by hand while the agent is stopped, and `export`: today's files are rewritten, they wait, and
            // `upload` sends them. (The stop's own last refresh may or may not be sent before the agent exits.)
            let scan = try AgentProcess.agent(["scan", "SF1000000000099", "--in", "--config", setup.config], environment: setup.environment)
            #expect(scan.status == 0, "\(scan.standardError)")
            let export = try AgentProcess.agent(["export", "--config", setup.config], environment: setup.environment)
            #expect(export.status == 0, "\(export.standardError)")
            let waiting = try setup.status().document
            #expect((waiting["waiting"] as? Int ?? 0) >= 1, "\(waiting)")
            let upload = try AgentProcess.agent(["upload", "--config", setup.config], environment: setup.environment)
            #expect(upload.status == 0, "\(upload.standardOutput)\(upload.standardError)")
            let local = setup.localFiles()
            let remote = try Self.bucket(client)
            #expect(Self.mirrors(local, remote), "bucket \(remote.keys.sorted()) vs outbox \(local.keys.sorted())")
            try Self.expectAllAcknowledged(setup, local)
            // An acknowledged file is not sent twice.
            let again = try AgentProcess.agent(["upload", "--config", setup.config], environment: setup.environment)
            #expect(again.standardOutput.contains("0 file(s) sent now; 0 waiting."), "\(again.standardOutput)")
        }
    }

    @Test("plain HTTPS PUT (nginx, a private CA): bearer token through the agent, basic auth through `upload`", .timeLimit(.minutes(2)))
    func httpsEndToEnd() async throws {
        guard let stores = StoreEnvironment.required() else { return }
        try await TestbedLock.withTestbed { testbed in
            let setup = try Setup("https", upload: { secretFile, prefix in
                """
                url = "\(stores["STORES_HTTPS_URL"])/bearer/\(prefix)/"
                secret_file = "\(secretFile)"
                ca_file = "\(stores["STORES_CA_FILE"])"
                """
            }, secret: stores.secret("STORES_TOKEN_FILE"))
            defer { setup.remove() }
            try testbed.add(fixture: fixturePath("roothub.umockdev"))
            let agent = try BackgroundAgent(["run", "--config", setup.config], environment: setup.environment)
            defer { agent.kill() }
            let root = stores["STORES_HTTP_ROOT"] + "/bearer/" + setup.prefix
            // A day the agent ran gets its files even with no scans (all zeros): they are uploaded at once.
            @Sendable func remote() -> [String: [UInt8]] {
                var files: [String: [UInt8]] = [:]
                for (name, _) in setup.localFiles() {
                    if let data = FileManager.default.contents(atPath: root + "/" + Self.key(name)) { files[Self.key(name)] = Array(data) }
                }
                return files
            }
            do {
                try await waitUntil(30, "nginx to hold today's files") { Self.mirrors(setup.localFiles(), remote()) }
            } catch {
                Issue.record("agent log:\n\(agent.standardError)")
                throw error
            }
            agent.signal(SIGTERM)
            #expect(try await agent.waitForExit(timeout: 20) == 0, "\(agent.standardError)")

            // Basic auth: the same files to another place, by `upload`.
            let basicSecret = setup.directory.appendingPathComponent("basic.secret").path
            _ = FileManager.default.createFile(atPath: basicSecret, contents: Data(stores.secret("STORES_BASIC_PASSWORD_FILE").utf8), attributes: [.posixPermissions: 0o600])
            var text = try String(contentsOfFile: setup.config, encoding: .utf8)
            text = text.replacingOccurrences(of: "/bearer/", with: "/basic/")
                .replacingOccurrences(of: setup.directory.appendingPathComponent("upload.secret").path, with: basicSecret)
                + "\nusername = \"\(stores["STORES_BASIC_USER"])\"\n"
            try text.write(toFile: setup.config, atomically: false, encoding: .utf8)
            let upload = try AgentProcess.agent(["upload", "--config", setup.config], environment: setup.environment)
            #expect(upload.status == 0, "\(upload.standardOutput)\(upload.standardError)")
            for (name, bytes) in setup.localFiles() {
                let path = stores["STORES_HTTP_ROOT"] + "/basic/" + setup.prefix + "/" + Self.key(name)
                #expect(FileManager.default.contents(atPath: path).map(Array.init) == bytes, "\(path)")
            }
            try Self.expectAllAcknowledged(setup, setup.localFiles())
        }
    }

    @Test("the store stopped mid-run and started again: scans are answered at once meanwhile, said once, everything sent after", .timeLimit(.minutes(3)))
    func storeStoppedAndRestarted() async throws {
        guard let stores = StoreEnvironment.required() else { return }
        try await TestbedLock.withTestbed { testbed in
            let setup = try Setup("restart", upload: Self.s3Upload(stores), secret: stores.secret("STORES_S3_SECRET_FILE"))
            defer { setup.remove() }
            try testbed.add(fixture: fixturePath("roothub.umockdev"))
            let release = try EmulatedUSBDevice(fixture: fixturePath("cdcacm-scanner.umockdev"))
            try testbed.plug(release)
            let agent = try BackgroundAgent(["run", "--config", setup.config], environment: setup.environment)
            defer { agent.kill() }
            // Whatever happens, Swift runs again at the end for the other tests.
            defer { _ = try? stores.control("start-s3") }
            let client = try stores.s3Client(prefix: setup.prefix)
            try await waitUntil(30, "the first upload") { (try? Self.mirrors(setup.localFiles(), Self.bucket(client))) == true }
            try await waitUntil(20, "the release device claimed") { release.claimedInterfaces.contains(1) }

            let stopped = try stores.control("stop-s3")
            #expect(stopped.status == 0, "\(stopped.standardError)")
            // Scans while the store is down: every verdict comes back at once, the upload never holds them.
            var slowest: Duration = .zero
            for (index, code) in ["SF1000000000001", "SF1000000000002", "SF1000000000003", "SF1000000000004"].enumerated() {
                let started = ContinuousClock.now
                release.deliver(endpoint: 0x81, Array((code + "\r\n").utf8))
                try await waitUntil(10, "verdict \(index + 1)") { (release.written[0x02]?.count ?? 0) >= index + 1 }
                slowest = max(slowest, ContinuousClock.now - started)
                try await Task.sleep(for: .seconds(4))
            }
            #expect(slowest < .seconds(2), "a verdict took \(slowest) while the store was down")
            try await waitUntil(30, "the failure to show in upload --status") {
                ((try? setup.status().document["problem"]) as? [String: Any]) != nil
            }
            let down = try setup.status()
            let problem = down.document["problem"] as? [String: Any]
            #expect((problem?["message"] as? String)?.contains("unreachable") == true || (problem?["kind"] as? String)?.contains("unreachable") == true, "\(down.result.standardOutput)")
            #expect((down.document["waiting"] as? Int ?? 0) >= 1)

            let started = try stores.control("start-s3")
            #expect(started.status == 0, "\(started.standardError)")
            do {
                try await waitUntil(60, "everything sent once the store is back") {
                    let local = setup.localFiles()
                    guard let json = local.first(where: { $0.key.hasSuffix(".json") })?.value,
                          let totals = Self.totals(json), (totals["unmatched_outbound"] ?? 0) + (totals["rejected"] ?? 0) == 4
                    else { return false }
                    return (try? Self.mirrors(local, Self.bucket(client))) == true
                }
            } catch {
                Issue.record("agent log:\n\(agent.standardError)")
                throw error
            }
            // The pass logs and clears its problem after its last PUT lands, so the bucket can be complete a moment
            // before the line is written: wait for the line (bounded) rather than read the log at once.
            do {
                try await waitUntil(15, "the recovery said in the log and the problem cleared") {
                    agent.standardError.contains("the county store accepts count files again")
                        && ((try? setup.status().document["problem"]) is NSNull)
                }
            } catch {
                Issue.record("agent log:\n\(agent.standardError)")
                throw error
            }
            let log = agent.standardError
            let failures = log.split(separator: "\n").filter { $0.contains("count files NOT uploaded") }
            #expect(!failures.isEmpty && failures.count <= 3, "said once per kind of problem, not per retry:\n\(failures.joined(separator: "\n"))")
            agent.signal(SIGTERM)
            #expect(try await agent.waitForExit(timeout: 20) == 0)
        }
    }

    @Test("a wrong secret: refused in words once, with the fix; doctor FAILs; nothing acknowledged; the secret nowhere", .timeLimit(.minutes(2)))
    func wrongSecret() async throws {
        guard let stores = StoreEnvironment.required() else { return }
        try await TestbedLock.withTestbed { testbed in
            let wrong = "wrong-" + stores.secret("STORES_S3_SECRET_FILE").prefix(20)
            let setup = try Setup("secret", upload: Self.s3Upload(stores), secret: wrong)
            defer { setup.remove() }
            try testbed.add(fixture: fixturePath("roothub.umockdev"))
            let agent = try BackgroundAgent(["run", "--config", setup.config], environment: setup.environment)
            defer { agent.kill() }
            try await waitUntil(30, "two failed passes") {
                ((try? setup.status().document["problem"]) as? [String: Any])?["attempts"] as? Int ?? 0 >= 2
            }
            agent.signal(SIGTERM)
            #expect(try await agent.waitForExit(timeout: 20) == 0)
            let log = agent.standardError
            let lines = log.split(separator: "\n").filter { $0.contains("count files NOT uploaded") }
            #expect(lines.count == 1, "once, not on every retry:\n\(log)")
            #expect(lines.first?.contains("SignatureDoesNotMatch") == true, "\(lines)")
            #expect(lines.first?.contains("secret") == true)
            let status = try setup.status()
            #expect(status.document["waiting"] as? Int ?? 0 >= 2)
            #expect((status.document["files"] as? [[String: Any]] ?? []).allSatisfy { $0["state"] as? String == "waiting" })
            let doctor = try AgentProcess.agent(["doctor", "--config", setup.config], environment: setup.environment)
            #expect(doctor.status == 3, "\(doctor.standardOutput)")
            #expect(doctor.standardOutput.contains("upload store") && doctor.standardOutput.contains("SignatureDoesNotMatch"), "\(doctor.standardOutput)")
            for text in [log, doctor.standardOutput, doctor.standardError, status.result.standardOutput] {
                #expect(!text.contains(wrong), "the secret appears in what the agent says")
            }
            #expect(try Self.bucket(stores.s3Client(prefix: setup.prefix)).isEmpty)
        }
    }

    @Test("a SIGKILL while a file is on the wire: not acknowledged; the next start sends it", .timeLimit(.minutes(2)))
    func killedDuringUpload() async throws {
        guard let stores = StoreEnvironment.required() else { return }
        try await TestbedLock.withTestbed { testbed in
            // The fault server's /stall/ takes the body and never answers.
            let setup = try Setup("kill", upload: { secretFile, prefix in
                """
                url = "\(stores["STORES_FAULT_URL"])/stall/\(prefix)/"
                secret_file = "\(secretFile)"
                """
            }, secret: "token")
            defer { setup.remove() }
            try testbed.add(fixture: fixturePath("roothub.umockdev"))
            let agent = try BackgroundAgent(["run", "--config", setup.config], environment: setup.environment)
            defer { agent.kill() }
            try await waitUntil(20, "today's files written") { setup.localFiles().count == 2 }
            try await Task.sleep(for: .seconds(2))
            agent.kill()
            _ = try await agent.waitForExit(timeout: 10)
            let killed = try setup.status()
            #expect((killed.document["files"] as? [[String: Any]] ?? []).allSatisfy { $0["state"] as? String == "waiting" }, "\(killed.result.standardOutput)")

            // The next start, with a store that answers: everything is sent.
            let client = try stores.s3Client(prefix: setup.prefix)
            let text = try String(contentsOfFile: setup.config, encoding: .utf8)
            let head = text.components(separatedBy: "[upload]")[0]
            _ = FileManager.default.createFile(atPath: setup.directory.appendingPathComponent("s3.secret").path,
                contents: Data(stores.secret("STORES_S3_SECRET_FILE").utf8), attributes: [.posixPermissions: 0o600])
            try (head + "[upload]\n" + Self.s3Upload(stores)(setup.directory.appendingPathComponent("s3.secret").path, setup.prefix) + "\ninterval_seconds = 10\n")
                .write(toFile: setup.config, atomically: false, encoding: .utf8)
            let again = try BackgroundAgent(["run", "--config", setup.config], environment: setup.environment)
            defer { again.kill() }
            try await waitUntil(30, "the files sent after the restart") { (try? Self.mirrors(setup.localFiles(), Self.bucket(client))) == true }
            again.signal(SIGTERM)
            #expect(try await again.waitForExit(timeout: 20) == 0)
        }
    }

    /// Debian's `faketime` wrapper (it sets up libfaketime's shared state: with only `LD_PRELOAD` and `FAKETIME`
    /// set by hand, the agent saw no command-line arguments). It replaces `LD_PRELOAD`, so an agent started by it is
    /// outside the USB emulator: these tests need no scanner.
    /// The monotonic clock is left alone (`FAKETIME_DONT_FAKE_MONOTONIC=1`): with it faked, the agent's timed waits
    /// never ended.
    static func fakeTime(_ spec: String) -> [String] {
        let faketime = ["/usr/bin/env", "FAKETIME_DONT_FAKE_MONOTONIC=1", "/usr/bin/faketime"]
        return spec.hasPrefix("+") || spec.hasPrefix("-") ? faketime + ["-f", spec] : faketime + [spec]
    }

    /// The agent under `faketime`.
    static func agentAt(_ spec: String, _ arguments: [String], environment: [String: String]) throws -> AgentProcess.Result {
        let launcher = fakeTime(spec)
        return try AgentProcess.run(launcher[0], Array(launcher.dropFirst()) + [AgentProcess.agentPath] + arguments,
                                    environment: environment, removing: AgentProcess.testbedVariables)
    }

    @Test("60 days offline: 120 final files and today's, sent oldest day first, final before open, all acknowledged", .timeLimit(.minutes(5)))
    func sixtyDaysOffline() async throws {
        guard let stores = StoreEnvironment.required() else { return }
        let setup = try Setup("offline", upload: Self.s3Upload(stores), secret: stores.secret("STORES_S3_SECRET_FILE"))
        defer { setup.remove() }
        // One manual receipt on each of the 60 days before today, at 10:00 Shanghai, under a faked clock.
        let today = Date()
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "Asia/Shanghai")
        formatter.dateFormat = "yyyy-MM-dd"
        let days = (1...60).reversed().map { formatter.string(from: today.addingTimeInterval(Double(-$0) * 86_400)) }
        let scans = try await offThePool {
            try days.enumerated().map { index, day in
                try Self.agentAt("\(day) 02:00:00", ["scan", String(format: "SF1%013d", index + 1), "--in", "--config", setup.config],
                                 environment: setup.environment)
            }
        }
        #expect(scans.allSatisfy { $0.status == 0 }, "\(scans.first { $0.status != 0 }?.standardError ?? "")")
        try await TestbedLock.withTestbed { testbed in
            try testbed.add(fixture: fixturePath("roothub.umockdev"))
            let started = ContinuousClock.now
            let agent = try BackgroundAgent(["run", "--config", setup.config], environment: setup.environment)
            defer { agent.kill() }
            let client = try stores.s3Client(prefix: setup.prefix)
            do {
                try await waitUntil(120, "the 61 days in the bucket") {
                    let local = setup.localFiles()
                    return local.count == 122 && (try? Self.mirrors(local, Self.bucket(client))) == true
                }
            } catch {
                Issue.record("agent log:\n\(agent.standardError)")
                throw error
            }
            let elapsed = ContinuousClock.now - started
            print("60 days offline: 122 files in the bucket \(elapsed) after the agent started")
            agent.signal(SIGTERM)
            #expect(try await agent.waitForExit(timeout: 20) == 0)
        }
        // Oldest day first, closed days before the open one: the acknowledgement times rise with the dates.
        let document = try setup.status().document
        let files = (document["files"] as? [[String: Any]] ?? []).filter { $0["final"] as? Bool == true && ($0["file"] as? String ?? "").hasSuffix(".json") }
        #expect(files.count == 60)
        let times = files.sorted { ($0["date"] as? String ?? "") < ($1["date"] as? String ?? "") }.compactMap { $0["acknowledged_at"] as? String }
        #expect(times.count == 60 && times == times.sorted(), "sent oldest first: \(times)")
    }

    @Test("a clock 20 minutes ahead (agent) and 3 years behind (upload): the store refuses the time, the agent signs with the store's", .timeLimit(.minutes(2)))
    func clockOff() async throws {
        guard let stores = StoreEnvironment.required() else { return }
        try await TestbedLock.withTestbed { testbed in
            let setup = try Setup("clock", upload: Self.s3Upload(stores), secret: stores.secret("STORES_S3_SECRET_FILE"))
            defer { setup.remove() }
            try testbed.add(fixture: fixturePath("roothub.umockdev"))
            let client = try stores.s3Client(prefix: setup.prefix)
            let agent = try BackgroundAgent(["run", "--config", setup.config], environment: setup.environment, launcher: Self.fakeTime("+20m"))
            defer { agent.kill() }
            do {
                try await waitUntil(30, "the files sent despite the clock") { (try? Self.mirrors(setup.localFiles(), Self.bucket(client))) == true }
            } catch {
                Issue.record("agent log:\n\(agent.standardError)")
                throw error
            }
            agent.signal(SIGTERM)
            #expect(try await agent.waitForExit(timeout: 20) == 0)
            #expect(agent.standardError.contains("ahead of the county store's"), "\(agent.standardError)")

            // Three years behind: `upload` of today's file, rewritten by one more scan (at the true time) and `export`.
            let scan = try AgentProcess.agent(["scan", "SF1000000000099", "--in", "--config", setup.config], environment: setup.environment)
            #expect(scan.status == 0, "\(scan.standardError)")
            let export = try AgentProcess.agent(["export", "--config", setup.config], environment: setup.environment)
            #expect(export.status == 0, "\(export.standardError)")
            #expect(Self.mirrors(setup.localFiles(), try Self.bucket(client)) == false, "today's file rewritten, not yet sent")
            let upload = try Self.agentAt("-3y", ["upload", "--config", setup.config], environment: setup.environment)
            #expect(upload.status == 0, "\(upload.standardOutput)\(upload.standardError)")
            #expect(Self.mirrors(setup.localFiles(), try Self.bucket(client)))
            #expect(upload.standardError.contains("ahead of the county store's") == false && upload.standardError.contains("behind the county store's"),
                "\(upload.standardError)")
        }
    }
}
