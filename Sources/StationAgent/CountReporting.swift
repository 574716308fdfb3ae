public import CountReports
public import Logging
public import StationConfig
public import StationTime

// The count files' settings from the station's configuration: here, above both, so the report layer needs neither
// the configuration nor TOMLKit.

extension CountSettings {
    /// The settings of a loaded configuration, in the station's zone.
    public init(configuration: StationConfiguration, zone: StationTimeZone, agentVersion: String) {
        self.init(
            stationID: configuration.stationID, stationName: configuration.stationName, zone: zone,
            staleAfterDays: configuration.staleAfterDays, dataDirectory: configuration.dataDirectory,
            outboxDirectory: configuration.outboxDirectory, refreshSeconds: configuration.countRefreshSeconds,
            agentVersion: agentVersion)
        photoRetentionDays = configuration.photoRetentionDays
    }

    /// For the running agent: the station's zone, or UTC with a warning in the log (the configuration was
    /// validated when loaded; the agent keeps counting whatever the tz database does later).
    public init(configuration: StationConfiguration, agentVersion: String, logger: Logger) {
        let zone: StationTimeZone
        do {
            let chosen = try configuration.stationZone()
            if let reason = chosen.fallbackReason { logger.warning("count files: \(reason); days are cut in UTC") }
            zone = chosen.zone
        } catch {
            logger.warning("count files: \(error); days are cut in UTC")
            zone = .utc
        }
        self.init(configuration: configuration, zone: zone, agentVersion: agentVersion)
    }
}

extension CountRefresher {
    /// For `run`: the count files of the station's configuration.
    public convenience init(configuration: StationConfiguration, agentVersion: String, logger: Logger) {
        self.init(settings: CountSettings(configuration: configuration, agentVersion: agentVersion, logger: logger), logger: logger)
    }

    /// A reloaded configuration (SIGHUP), from the next refresh.
    public func reconfigure(configuration: StationConfiguration, agentVersion: String, logger: Logger) {
        reconfigure(CountSettings(configuration: configuration, agentVersion: agentVersion, logger: logger))
    }
}
