import HumanWords
import StationConfig
import Testing

/// `[voice]` (SPEC §3, §6): off unless asked for, defaults that follow the language, every mistake refused with
/// the key, the value and why.
@Suite("Voice settings")
struct VoiceConfigurationTests {
    let environment = ["STATION_AGENT_DATA_DIR": "/tmp/station-agent-test", "LANG": "C.UTF-8"]

    func parse(_ text: String, environment: [String: String]? = nil) throws -> StationConfiguration {
        try StationConfiguration.parse(
            "station_id = \"xiaohu\"\n" + text, source: "/etc/station-agent/station-agent.toml",
            environment: environment ?? self.environment)
    }

    func refusal(_ text: String) -> ConfigurationError? {
        #expect(throws: ConfigurationError.self) { _ = try parse(text) }
    }

    @Test("no [voice], or enabled = false: silent")
    func offByDefault() throws {
        #expect(try parse("").voice == nil)
        #expect(try parse("[voice]\nenabled = false\npcm = \"hw:0\"").voice == nil)
    }

    @Test("enabled alone: device \"default\", volume 80, the installed prompts of the configured language")
    func defaults() throws {
        let voice = try #require(try parse("language = \"zh\"\n[voice]\nenabled = true").voice)
        #expect(voice == VoiceConfiguration(pcm: "default", volume: 80, promptsDirectory: "/usr/share/station-agent/voice/zh"))
        let english = try #require(try parse("language = \"en\"\n[voice]\nenabled = true").voice)
        #expect(english.promptsDirectory == "/usr/share/station-agent/voice/en")
    }

    @Test("without language the locale chooses the prompts, as for every human output")
    func localeChoosesPrompts() throws {
        var chinese = environment
        chinese["LANG"] = "zh_CN.UTF-8"
        #expect(try parse("[voice]\nenabled = true", environment: chinese).voice?.promptsDirectory == "/usr/share/station-agent/voice/zh")
        #expect(try parse("[voice]\nenabled = true").voice?.promptsDirectory == "/usr/share/station-agent/voice/en")
    }

    @Test("every key as SPEC §3 writes it; a relative prompts_dir is relative to the configuration's folder")
    func everyKey() throws {
        let voice = try #require(try parse("""
            [voice]
            enabled = true
            pcm = "plughw:1,0"
            volume = 35
            prompts_dir = "voice/../my-prompts"
            """).voice)
        #expect(voice.pcm == "plughw:1,0")
        #expect(voice.volume == 35)
        #expect(voice.promptsDirectory == "/etc/station-agent/my-prompts")
        #expect(try parse("[voice]\nenabled = true\nvolume = 0").voice?.volume == 0)
        #expect(try parse("[voice]\nenabled = true\nvolume = 100\nprompts_dir = \"/opt/p\"").voice?.promptsDirectory == "/opt/p")
    }

    @Test(
        "mistakes are refused with the key, the value and what to write",
        arguments: [
            ("enabled = true\nspeaker = \"on\"", "voice.speaker", "is not a known setting"),
            ("enabled = \"yes\"", "voice.enabled", "must be true or false"),
            ("pcm = \"default\"", "voice.enabled", "is missing"),
            ("enabled = true\nvolume = 101", "voice.volume", "must be from 0 to 100"),
            ("enabled = true\nvolume = -1", "voice.volume", "must be from 0 to 100"),
            ("enabled = true\nvolume = 80.5", "voice.volume", "must be a whole number"),
            ("enabled = true\npcm = \"\"", "voice.pcm", "ALSA device name"),
            ("enabled = true\npcm = \"plug hw\"", "voice.pcm", "ALSA device name"),
            ("enabled = true\npcm = 1", "voice.pcm", "must be a string"),
            ("enabled = true\nprompts_dir = \"\"", "voice.prompts_dir", "path of a folder"),
            ("enabled = true\nprompts_dir = \"a\\u0007b\"", "voice.prompts_dir", "without control characters"),
            ("enabled = false\nvolume = 500", "voice.volume", "must be from 0 to 100"),
        ])
    func refusals(body: String, key: String, reason: String) throws {
        let error = try #require(refusal("[voice]\n" + body))
        #expect(error.key == key, "\(error)")
        #expect(error.reason.description.contains(reason), "\(error)")
        #expect(error.source == "/etc/station-agent/station-agent.toml")
    }

    @Test("[voice] must be a table")
    func notATable() throws {
        let error = try #require(refusal("voice = true"))
        #expect(error.key == "voice")
        #expect(error.value == "true")
    }
}
