public import HumanWords
internal import TOMLKit

/// `[voice]` (SPEC §3, §6): spoken verdicts through the box's speaker. Absent, or `enabled = false`: silent.
public struct VoiceConfiguration: Sendable, Equatable {
    /// The ALSA PCM name (`aplay -L` lists them): "default", "plughw:0,0", a name from an asound.conf.
    public var pcm: String
    /// 0-100: the prompts' samples are scaled by it.
    public var volume: Int
    /// Absolute path of the folder holding the prompts (`received.wav`, ...).
    public var promptsDirectory: String

    public init(pcm: String = "default", volume: Int = 80, promptsDirectory: String) {
        self.pcm = pcm
        self.volume = volume
        self.promptsDirectory = promptsDirectory
    }

    /// Where `make install` puts the prompts of a language: `/usr/share/station-agent/voice/<zh|en>`.
    public static func installedPrompts(_ language: HumanLanguage) -> String {
        "/usr/share/station-agent/voice/" + language.rawValue
    }
}

extension StationConfiguration {
    /// `[voice]`: nil when the table is absent or `enabled = false`. The default prompts follow the language
    /// (``HumanLanguage/resolve(config:environment:)``), so `language` must be parsed before.
    static func parseVoice(
        _ reader: TableReader, base: String, language: HumanLanguage
    ) throws(ConfigurationError) -> VoiceConfiguration? {
        guard let value = reader.table["voice"] else { return nil }
        guard let table = value.table else {
            throw reader.error("voice", value.debugDescription, Words("must be a table: write [voice] with its keys below it"))
        }
        let entry = TableReader(table: table, path: "voice.", source: reader.source)
        try entry.rejectUnknown(["enabled", "pcm", "volume", "prompts_dir"])
        var voice = VoiceConfiguration(promptsDirectory: VoiceConfiguration.installedPrompts(language))
        if let pcm = try entry.string("pcm") {
            guard (1...128).contains(pcm.utf8.count), !pcm.contains(where: { $0.asciiValue.map { $0 < 33 || $0 == 127 } ?? false })
            else {
                throw entry.error("pcm", quoted(pcm),
                    Words("must be an ALSA device name of 1-128 characters without spaces, like \"default\" or \"plughw:0,0\" (see `aplay -L`)"))
            }
            voice.pcm = pcm
        }
        voice.volume = try entry.integer("volume", in: 0...100) ?? 80
        if let path = try entry.string("prompts_dir") {
            guard !path.isEmpty, !path.contains(where: { $0.asciiValue.map { $0 < 32 || $0 == 127 } ?? false }) else {
                throw entry.error("prompts_dir", quoted(path), Words("must be the path of a folder, without control characters"))
            }
            voice.promptsDirectory = normalize(path.hasPrefix("/") ? path : base + "/" + path)
        }
        // Checked after the other keys, so a mistake in a table that is switched off is still reported.
        guard let enabledValue = table["enabled"] else {
            throw entry.error("enabled", nil, Words("is missing: write enabled = true to speak the verdicts (or false to keep [voice] but stay silent)"))
        }
        guard let enabled = enabledValue.bool else {
            throw entry.error("enabled", enabledValue.debugDescription, Words("must be true or false (without quotes)"))
        }
        return enabled ? voice : nil
    }
}
