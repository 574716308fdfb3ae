import Foundation
import StationTestSupport
import Testing

/// `doctor`'s voice line (SPEC §6): off, ok with the device and the prompts, or a warning with what to do.
@Suite("doctor: voice")
struct DoctorVoiceTests {
    /// Runs `doctor --json` with `[voice]` as given (nil: no table) and returns its voice line.
    func voiceLine(_ voice: String?, prompts: [String]? = TonePrompts.names) throws -> [String: String] {
        let directory = try scratchDirectory("doctor-voice-\(UInt32.random(in: 0...UInt32.max))")
        defer { try? FileManager.default.removeItem(at: directory) }
        let folder = directory.appendingPathComponent("prompts").path
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        try TonePrompts.write(to: folder, only: prompts)
        let alsa = try TonePrompts.writeAlsaConfiguration(in: directory.path, pcms: ["capture"])
        let config = directory.appendingPathComponent("station-agent.toml")
        try """
            station_id = "doctor-voice"
            timezone = "Asia/Shanghai"
            data_dir = "\(directory.path)/data"
            \(voice.map { "[voice]\nenabled = true\nprompts_dir = \"\(folder)\"\n" + $0 } ?? "")
            """.write(to: config, atomically: false, encoding: .utf8)
        let result = try AgentProcess.agent(["doctor", "--json", "--config", config.path], environment: ["ALSA_CONFIG_PATH": alsa])
        let checks = try #require(try AgentProcess.json(result.standardOutput) as? [[String: String]], "\(result.standardError)")
        return try #require(checks.first { $0["check"] == "voice" }, "\(checks)")
    }

    @Test("doctor --play plays each prompt once, in SPEC §6's order, naming it first", .timeLimit(.minutes(1)))
    func play() throws {
        let directory = try scratchDirectory("doctor-play-\(UInt32.random(in: 0...UInt32.max))")
        defer { try? FileManager.default.removeItem(at: directory) }
        let folder = directory.appendingPathComponent("prompts").path
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        try TonePrompts.write(to: folder, only: TonePrompts.names.filter { $0 != "undone" })
        let alsa = try TonePrompts.writeAlsaConfiguration(in: directory.path, pcms: ["capture"])
        let config = directory.appendingPathComponent("station-agent.toml")
        try """
            station_id = "doctor-voice"
            data_dir = "\(directory.path)/data"
            [voice]
            enabled = true
            pcm = "capture"
            volume = 100
            prompts_dir = "\(folder)"
            """.write(to: config, atomically: false, encoding: .utf8)
        let result = try AgentProcess.agent(["doctor", "--play", "--config", config.path], environment: ["ALSA_CONFIG_PATH": alsa])
        #expect(result.status == 3, "a prompt that cannot be played is a fail")
        let heard = TonePrompts.heard(TonePrompts.recorded(directory.appendingPathComponent("capture.raw").path))
        #expect(heard.names == TonePrompts.names.filter { $0 != "undone" }, "\(result.standardOutput)")
        #expect(result.standardOutput.contains("  received.wav ..."))
        #expect(result.standardOutput.contains("  undone.wav: NOT played: the file is missing"), "\(result.standardOutput)")
        #expect(result.standardError.contains("not every prompt could be played"))
    }

    @Test("no [voice]: the voice is off", .timeLimit(.minutes(1)))
    func off() throws {
        let line = try voiceLine(nil)
        #expect(line["status"] == "pass")
        #expect(line["message"]?.hasPrefix("off") == true, "\(line)")
    }

    @Test("a device that opens and every prompt: ok, naming the device and the prompts' folder", .timeLimit(.minutes(1)))
    func ok() throws {
        let line = try voiceLine("pcm = \"capture\"\nvolume = 70")
        #expect(line["status"] == "pass", "\(line)")
        #expect(line["message"]?.contains("sound device 'capture' at volume 70, 11 prompts in /") == true, "\(line)")
    }

    @Test("no such device: a warning that scans are unaffected, and what to do", .timeLimit(.minutes(1)))
    func noDevice() throws {
        let line = try voiceLine("pcm = \"nonexistent\"")
        #expect(line["status"] == "warn", "\(line)")
        #expect(line["message"]?.hasPrefix("no sound device 'nonexistent'") == true, "\(line)")
        #expect(line["message"]?.contains("scans are recorded as always") == true, "\(line)")
        #expect(line["fix"] == "check `aplay -l` and `aplay -L`, set [voice] pcm", "\(line)")
    }

    @Test("a prompt missing: a warning naming it", .timeLimit(.minutes(1)))
    func promptMissing() throws {
        let line = try voiceLine("pcm = \"capture\"", prompts: TonePrompts.names.filter { $0 != "storage_fault" })
        #expect(line["status"] == "warn", "\(line)")
        #expect(line["message"]?.contains("prompt missing or unusable in /") == true, "\(line)")
        #expect(line["message"]?.contains("storage_fault.wav (the file is missing)") == true, "\(line)")
        #expect(line["fix"]?.contains("deploy/make-prompts") == true, "\(line)")
    }
}
