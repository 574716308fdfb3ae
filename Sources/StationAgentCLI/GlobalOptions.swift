import HumanWords
import ArgumentParser
import StationConfig

/// Options every command takes: where the configuration is.
struct GlobalOptions: ParsableArguments {
    @Option(
        name: .long,
        help: ArgumentHelp(
            "The configuration file (default: $STATION_AGENT_CONFIG, else /etc/station-agent/station-agent.toml; with no file, built-in defaults).",
            valueName: "path"))
    var config: String?

    /// Loads the configuration, turning a bad one into exit status 2 with the key, value and why.
    func loadConfiguration() throws -> StationConfiguration {
        do {
            let configuration = try StationConfiguration.load(explicitPath: config)
            RunLanguage.follow(configuration)
            return configuration
        } catch {
            throw CLIError.usage(Words("\(error)"))
        }
    }
}
