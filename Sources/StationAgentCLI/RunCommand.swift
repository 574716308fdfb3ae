import ArgumentParser
import Logging
import ServiceLifecycle
import UnixSignals
import StationAgent
import StationConfig

/// `station-agent run`: the agent in the foreground, as systemd runs it.
struct RunCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Run the agent in the foreground (SIGTERM/SIGINT stop it cleanly).")

    @OptionGroup var global: GlobalOptions

    func run() async throws {
        let configuration = try global.loadConfiguration()
        let logger = Logger(label: "station-agent")
        logger.info(
            "station-agent \(AgentVersion.current) starting: station '\(configuration.stationID)', data in \(configuration.dataDirectory), configuration \(configuration.source ?? "built-in defaults")")
        let group = ServiceGroup(
            services: [DeviceWatcher(logger: logger)],
            gracefulShutdownSignals: [.sigterm, .sigint],
            logger: logger)
        try await group.run()
        logger.info("station-agent stopped")
    }
}
