import HumanWords
import Testing
import StationConfig

/// SPEC §2: `language` in the configuration, else the locale (LC_ALL, LC_MESSAGES, LANG, the first set), else English.
@Suite("HumanLanguage")
struct HumanLanguageTests {
    let environment = ["STATION_AGENT_DATA_DIR": "/tmp/station-agent-test"]

    func configuration(_ text: String = "") throws -> StationConfiguration {
        try StationConfiguration.parse(text, source: "station-agent.toml", environment: environment)
    }

    @Test("language = \"zh\" / \"en\" is parsed, and wins over the locale")
    func configuredLanguageWins() throws {
        let zh = try configuration("language = \"zh\"")
        #expect(zh.language == .zh)
        #expect(HumanLanguage.resolve(config: zh, environment: ["LANG": "en_US.UTF-8"]) == .zh)
        let en = try configuration("language = \"en\"")
        #expect(en.language == .en)
        #expect(HumanLanguage.resolve(config: en, environment: ["LC_ALL": "zh_CN.UTF-8"]) == .en)
        #expect(try configuration().language == nil)
    }

    @Test("any other language is a configuration error naming the key and the value")
    func otherLanguagesAreErrors() throws {
        for value in ["fr", "ZH", "zh_CN", "chinese", ""] {
            #expect {
                try configuration("language = \"\(value)\"")
            } throws: { error in
                let error = error as? ConfigurationError
                return error?.key == "language" && error?.value == "\"\(value)\""
            }
        }
        #expect(throws: ConfigurationError.self) { try configuration("language = 1") }
    }

    @Test("without language: the first of LC_ALL, LC_MESSAGES, LANG that is set and not empty decides")
    func localeOrder() throws {
        let none = try configuration()
        #expect(HumanLanguage.resolve(config: none, environment: [:]) == .en)
        #expect(HumanLanguage.resolve(config: none, environment: ["LANG": "zh_CN.UTF-8"]) == .zh)
        #expect(HumanLanguage.resolve(config: none, environment: ["LANG": "zh_TW.UTF-8", "LC_MESSAGES": "C"]) == .en)
        #expect(HumanLanguage.resolve(config: none, environment: ["LANG": "en_US.UTF-8", "LC_MESSAGES": "zh_CN"]) == .zh)
        #expect(HumanLanguage.resolve(config: none, environment: ["LC_ALL": "C.UTF-8", "LANG": "zh_CN.UTF-8"]) == .en)
        #expect(HumanLanguage.resolve(config: none, environment: ["LC_ALL": "", "LANG": "zh_CN.UTF-8"]) == .zh)
        #expect(HumanLanguage.resolve(config: none, environment: ["LANG": "en_ZH"]) == .en)
    }
}
