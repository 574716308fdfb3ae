/// The language of human output (SPEC §2): tables, `doctor`, scan outcomes, error messages, the roll-up's page.
/// JSON and CSV keys, count files and log lines stay the same in every language. Which one a command uses is
/// decided in StationConfig (`HumanLanguage.resolve(config:environment:)`): the configured `language`, else the locale.
public enum HumanLanguage: String, Sendable, Equatable, CaseIterable {
    case zh, en

    /// The language of a locale's environment alone: Chinese when the first of `LC_ALL`, `LC_MESSAGES`, `LANG` that is
    /// set and not empty (POSIX order) starts with `zh`, else English. It needs no locale generated on the box.
    public static func ofLocale(_ environment: [String: String]) -> HumanLanguage {
        for name in ["LC_ALL", "LC_MESSAGES", "LANG"] {
            guard let value = environment[name], !value.isEmpty else { continue }
            return value.hasPrefix("zh") ? .zh : .en
        }
        return .en
    }
}
