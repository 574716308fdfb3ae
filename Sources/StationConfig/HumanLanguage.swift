/// The language of human output (SPEC §2): tables, `doctor`, scan outcomes, error messages, the roll-up's page.
/// JSON and CSV keys, count files and log lines stay the same in every language.
public enum HumanLanguage: String, Sendable, Equatable, CaseIterable {
    case zh, en

    /// The configured `language` when there is one; otherwise Chinese when the locale — the first of `LC_ALL`,
    /// `LC_MESSAGES`, `LANG` that is set and not empty, in POSIX order — starts with `zh`; otherwise English.
    /// Pure: reads only the dictionary given (pass `ProcessEnvironment.current`).
    public static func resolve(config: StationConfiguration, environment: [String: String]) -> HumanLanguage {
        if let configured = config.language { return configured }
        for name in ["LC_ALL", "LC_MESSAGES", "LANG"] {
            guard let value = environment[name], !value.isEmpty else { continue }
            return value.hasPrefix("zh") ? .zh : .en
        }
        return .en
    }
}
