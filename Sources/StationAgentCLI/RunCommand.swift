import HumanWords
import ArgumentParser
import CountReports
import Logging
import StationAgent
import StationConfig
import StationTime
import ServiceLifecycle

/// `station-agent run`: the agent in the foreground, as systemd runs it.
struct RunCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Run the agent in the foreground (SIGTERM/SIGINT stop it cleanly, SIGHUP reloads the configuration).")

    @OptionGroup var global: GlobalOptions

    func run() async throws {
        let configuration = try global.loadConfiguration()
        // Log lines are stamped in the station's zone (a Shanghai box logs +08:00, whatever the system says).
        Self.stampLogs(configuration)
        let logger = Logger(label: "station-agent")
        logger.info(
            "station-agent \(AgentVersion.current) starting: station '\(configuration.stationID)', data in \(configuration.dataDirectory), configuration \(configuration.source ?? "built-in defaults")")
        let refresher = CountRefresher(configuration: configuration, agentVersion: AgentVersion.current, logger: logger)
        // [upload]: a secret file or settings that cannot work stop the start (exit 2), before any scanner is claimed.
        let uploader: AgentUploadService?
        do {
            uploader = try configuration.upload.map { (upload) throws(UploadSetupError) in
                AgentUploadService(client: try UploadSetup.client(upload), configuration: configuration, upload: upload, logger: logger)
            }
        } catch {
            throw CLIError.usage(Words("configuration error: \(error)"))
        }
        if let uploader { refresher.afterEachRefresh { uploader.trigger() } }
        let services: [any Service] = [refresher] + (uploader.map { [$0] } ?? [])
        do {
            try await StationAgentRuntime.run(
                configuration: configuration,
                configurationPath: global.config ?? ProcessEnvironment.current["STATION_AGENT_CONFIG"].flatMap { $0.isEmpty ? nil : $0 },
                logger: logger,
                extraServices: { _ in services },
                onReload: {
                    Self.stampLogs($0)
                    refresher.reconfigure(configuration: $0, agentVersion: AgentVersion.current, logger: logger)
                },
                onStop: { _ in refresher.stop() },
                extraStatus: { uploader?.statusLine() })
        } catch let error as AgentError {
            throw CLIError.runtime(.verbatim(error.message))
        }
        logger.info("station-agent stopped")
    }

    /// The configured zone for the log's timestamps; with none (or one that cannot be loaded) the handler keeps
    /// the system's zone, or UTC, as the commands cut days (SPEC §3).
    static func stampLogs(_ configuration: StationConfiguration) {
        if let zone = try? StationTimeZone.load(named: configuration.timezone) { StationLogHandler.useZone(zone) }
    }
}
