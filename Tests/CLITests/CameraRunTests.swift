import CommandCards
import Foundation
import Hashing
import LabelDecoding
import StationTestSupport
import Testing
import USBEmulator

/// The real `station-agent run` with a camera release device (出库仪/高拍仪, `protocol = "uvc"`) and a keyboard-wedge
/// desk scanner at once; then `scans --json`, the count files and `verify`, and `verify` after a photo is tampered with.
@Suite(
    "station-agent run with a camera release device", .serialized,
    .enabled(if: USBTestbed.isAvailable, "needs the umockdev preload: run `make test`"))
struct CameraRunTests {
    static let configuration = """
        station_id = "cam-station"
        timezone = "Asia/Shanghai"
        duplicate_window_seconds = 1

        [[devices]]
        name = "desk-scanner"
        vendor_id = "0c2e"
        port = "1-1.2"
        role = "inbound"

        [[devices]]
        name = "release-cam"
        vendor_id = "0c45"
        protocol = "uvc"
        frame = "640x480@15"
        role = "outbound"
        """

    /// `frames` MJPEG frames of a label (a camera's JPEG of it), then 3 of an empty table.
    static func shown(_ code: String, frames: Int) throws -> [[UInt8]] {
        let label = try jpeg(labelFrame(code))
        let empty = try jpeg(SyntheticImage())
        return [[UInt8]](repeating: label, count: frames) + [[UInt8]](repeating: empty, count: 3)
    }

    /// A color JPEG of the image, as a camera sends (the agent's own encoder of YUYV frames).
    static func jpeg(_ image: SyntheticImage) throws -> [UInt8] {
        try PhotoEncoder(quality: 80).photo(of: Frame(width: image.width, height: image.height, format: .yuyv, bytes: image.yuyv, arrivalNanos: 0))
    }

    @Test("camera and desk scanner journalled together, counts right, camera unplugged mid-stream and back: nothing lost",
        .timeLimit(.minutes(3)))
    func cameraAndScanner() async throws {
        try await TestbedLock.withTestbed { testbed in
            let directory = try scratchDirectory("camera-run-\(UInt32.random(in: 0...UInt32.max))")
            defer { try? FileManager.default.removeItem(at: directory) }
            let configFile = directory.appendingPathComponent("station-agent.toml")
            try Self.configuration.write(to: configFile, atomically: false, encoding: .utf8)
            let dataDirectory = directory.appendingPathComponent("data").path
            let environment = ["STATION_AGENT_DATA_DIR": dataDirectory]

            try testbed.add(fixture: fixturePath("roothub.umockdev"))
            let desk = try EmulatedUSBDevice(fixture: fixturePath("keyboard-scanner.umockdev"))
            try testbed.plug(desk)
            let camera = try EmulatedUVCCamera(transport: .bulk)
            try testbed.plug(camera.device)

            // What a technician runs first: devices lists the camera with its protocol and formats; doctor makes it
            // stream (one frame queued for it).
            let devices = try AgentProcess.agent(["devices", "--json", "--config", configFile.path], environment: environment, inTestbed: true)
            let listed = try #require(try AgentProcess.json(devices.standardOutput) as? [[String: Any]], "\(devices.standardError)")
            let cameraRow = try #require(listed.first { $0["port"] as? String == "1-5" })
            #expect(cameraRow["protocol"] as? String == "uvc" && cameraRow["matched"] as? String == "release-cam")
            #expect(cameraRow["formats"] as? [String] == [
                "MJPEG 640x480@30,15,5", "MJPEG 320x240@30,15,5", "YUYV 640x480@30,15,5", "YUYV 320x240@30,15,5",
            ])
            #expect(listed.first { $0["port"] as? String == "1-1.2" }?["formats"] is NSNull)
            let table = try AgentProcess.agent(["devices", "--config", configFile.path], environment: environment, inTestbed: true)
            #expect(table.standardOutput.contains("camera at 1-5 offers: MJPEG 640x480@30,15,5; MJPEG 320x240@30,15,5;"), "\(table.standardOutput)")
            camera.play([try Self.jpeg(SyntheticImage())])
            let doctor = try AgentProcess.agent(["doctor", "--json", "--config", configFile.path], environment: environment, inTestbed: true)
            let checks = try #require(try AgentProcess.json(doctor.standardOutput) as? [[String: String]], "\(doctor.standardError)")
            let streams = try #require(checks.first { $0["check"] == "camera release-cam" }, "\(checks)")
            #expect(streams["status"] == "pass" && streams["message"]?.hasPrefix("streams MJPEG 640x480@15") == true, "\(streams)")
            #expect(checks.first { $0["check"] == "device release-cam" }?["message"]?.contains("uvc, outbound") == true)
            #expect(camera.framesQueued == 0 && !camera.isStreaming, "doctor took its frame and stopped")

            let agent = try BackgroundAgent(["run", "--config", configFile.path], environment: environment)
            defer { agent.kill() }
            try await agent.waitFor(20, "the agent to claim the desk scanner") { desk.claimedInterfaces.contains(0) }
            try await agent.waitFor(20, "the camera to stream") { camera.isStreaming }
            #expect(agent.standardError.contains("camera 'release-cam' (0c45:6366, uvc, outbound) plugged in"), "\(agent.standardError)")

            // Three parcels arrive at the desk.
            let parcels = ["SF1122334455667", "YT6900634716900", "JT0006968326954"]
            for code in parcels { desk.deliver(endpoint: 0x81, reports: Typist.type(code)) }
            try await agent.waitFor(20, "the receipts") { agent.standardError.components(separatedBy: " received ").count > 3 }

            // The first is released under the camera, held a second: one release.
            camera.play(try Self.shown(parcels[0], frames: 15))
            try await agent.waitFor(20, "the first release") { agent.standardError.contains("released \(parcels[0])") }

            // The second is shown; once it is released, the camera is unplugged while it still streams. The desk
            // scanner keeps working meanwhile.
            camera.play(try Self.shown(parcels[1], frames: 30))
            try await agent.waitFor(20, "the second release") { agent.standardError.contains("released \(parcels[1])") }
            #expect(camera.framesQueued > 0, "still streaming when unplugged")
            testbed.unplug(camera.device)
            try await agent.waitFor(20, "the unplug to be seen") { agent.standardError.contains("camera 'release-cam' unplugged") }
            desk.deliver(endpoint: 0x81, reports: Typist.type("ZTO123456789012"))
            try await agent.waitFor(20, "a receipt while the camera is away") { agent.standardError.contains("received ZTO123456789012") }

            // Back at a new address: the third parcel and one never received are released under it.
            let again = try EmulatedUVCCamera(transport: .bulk, address: 8)
            try testbed.plug(again.device)
            try await agent.waitFor(20, "the camera to stream again") { again.isStreaming }
            again.play(try Self.shown(parcels[2], frames: 10) + Self.shown("SF9988776655443", frames: 10))
            try await agent.waitFor(20, "two more releases") { agent.standardError.contains("released_unmatched SF9988776655443") }

            agent.signal(SIGTERM)
            #expect(try await agent.waitForExit(timeout: 20) == 0, "stderr:\n\(agent.standardError)")
            #expect(!agent.standardError.contains(" ERROR ") && !agent.standardError.contains(" CRITICAL "), "\(agent.standardError)")
            #expect(again.device.kernelDriver(interface: 0) == "uvcvideo", "uvcvideo given back at stop")

            // The journal: every scan exactly once, the camera's with their photos.
            let scans = try AgentProcess.agent(["scans", "--json", "--config", configFile.path], environment: environment)
            #expect(scans.status == 0, "\(scans.standardError)")
            let events = try #require(try AgentProcess.json(scans.standardOutput) as? [[String: Any]])
            let summary = events.map { "\($0["device"] as? String ?? "?") \($0["outcome"] as? String ?? "?") \($0["code"] as? String ?? "?")" }
            #expect(summary == [
                "desk-scanner received SF1122334455667",
                "desk-scanner received YT6900634716900",
                "desk-scanner received JT0006968326954",
                "release-cam released SF1122334455667",
                "release-cam released YT6900634716900",
                "desk-scanner received ZTO123456789012",
                "release-cam released JT0006968326954",
                "release-cam released_unmatched SF9988776655443",
            ])
            for event in events {
                let seq = event["seq"] as? Int ?? -1
                if event["device"] as? String == "release-cam" {
                    let photo = try #require(event["photo"] as? [String: String], "event \(seq) has its photo")
                    let path = try #require(photo["path"])
                    #expect(path.hasPrefix("photos/") && path.hasSuffix("/\(seq).jpg"), "\(path)")
                    let bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: dataDirectory + "/" + path)))
                    #expect(Hex.encode(SHA256.hash(bytes)) == photo["sha256"], "event \(seq): the file is the one the event names")
                } else {
                    #expect(event["photo"] is NSNull, "a scanner's event has no photo")
                }
            }

            // Counts: 4 received, 4 released (one unmatched).
            let outbox = dataDirectory + "/outbox"
            let files = try FileManager.default.contentsOfDirectory(atPath: outbox).sorted()
            let jsonName = try #require(files.first { $0.hasPrefix("cam-station_") && $0.hasSuffix(".json") }, "\(files)")
            let counts = try #require(try AgentProcess.json(String(contentsOfFile: outbox + "/" + jsonName, encoding: .utf8)) as? [String: Any])
            let totals = try #require(counts["totals"] as? [String: Int])
            #expect(totals["inbound"] == 4 && totals["outbound"] == 4 && totals["unmatched_outbound"] == 1, "\(totals)")
            let byDevice = try #require(counts["by_device"] as? [String: [String: Int]])
            #expect(byDevice["release-cam"]?["outbound"] == 4)

            let verify = try AgentProcess.agent(["verify", "--config", configFile.path], environment: environment)
            #expect(verify.status == 0, "verify: \(verify.standardOutput)\(verify.standardError)")

            // Tamper: one photo replaced by another release's, one deleted. verify names both events, exit 3.
            let cameraEvents = events.filter { $0["device"] as? String == "release-cam" }
            func path(_ event: [String: Any]) -> String { dataDirectory + "/" + ((event["photo"] as? [String: String])?["path"] ?? "") }
            let replaced = try #require(cameraEvents.first)
            let deleted = cameraEvents[2]
            try FileManager.default.removeItem(atPath: path(replaced))
            try FileManager.default.copyItem(atPath: path(cameraEvents[1]), toPath: path(replaced))
            try FileManager.default.removeItem(atPath: path(deleted))
            let tampered = try AgentProcess.agent(["verify", "--config", configFile.path], environment: environment)
            #expect(tampered.status == 3, "\(tampered.standardOutput)\(tampered.standardError)")
            #expect(tampered.standardOutput.contains("release photo of event \(replaced["seq"] as? Int ?? -1) is not the one recorded"), "\(tampered.standardOutput)")
            #expect(tampered.standardOutput.contains("release photo of event \(deleted["seq"] as? Int ?? -1) is missing"), "\(tampered.standardOutput)")
            let json = try AgentProcess.agent(["verify", "--json", "--config", configFile.path], environment: environment)
            let document = try #require(try AgentProcess.json(json.standardOutput) as? [String: Any])
            let kinds = (document["problems"] as? [[String: Any]] ?? []).compactMap { $0["kind"] as? String }
            #expect(kinds.sorted() == ["photo-changed", "photo-missing"], "\(kinds)")
            let chinese = try AgentProcess.agent(["verify", "--config", configFile.path], environment: environment.merging(["LANG": "zh_CN.UTF-8", "LC_ALL": "", "LC_MESSAGES": ""]) { $1 })
            #expect(chinese.standardOutput.contains("第 \(deleted["seq"] as? Int ?? -1) 条的出库照片不见了"), "\(chinese.standardOutput)")
        }
    }
}
