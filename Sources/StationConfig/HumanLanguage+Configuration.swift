public import HumanWords

extension HumanLanguage {
    /// The configured `language` when there is one; otherwise the locale's (``HumanLanguage/ofLocale(_:)``).
    /// Pure: reads only the dictionary given (pass `ProcessEnvironment.current`).
    public static func resolve(config: StationConfiguration, environment: [String: String]) -> HumanLanguage {
        config.language ?? ofLocale(environment)
    }
}
