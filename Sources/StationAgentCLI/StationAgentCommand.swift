import SystemSupport
import ArgumentParser
import Logging
import StationAgent
import HumanWords
import StationConfig
import Synchronization
import TextEscaping
#if canImport(Glibc)
import Glibc
#endif

/// `station-agent`: one binary for the agent and every command a technician or supervisor runs.
@main
struct StationAgentCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "station-agent",
        abstract: "Logs parcels scanned in and out at a parcel station, and writes the daily count files.",
        version: AgentVersion.current,
        subcommands: [
            RunCommand.self, DevicesCommand.self, DoctorCommand.self, ScanCommand.self, ScansCommand.self,
            CardsCommand.self, UdevRulesCommand.self, CountsCommand.self, ExportCommand.self, VerifyCommand.self, StockCommand.self,
            UploadCommand.self,
            RollupCommand.self,
        ])

    /// Runs the command, mapping outcomes to SPEC §2's exit statuses: 0 success, 1 runtime
    /// failure, 2 bad usage or configuration, 3 a problem found by `doctor` or `verify`.
    static func main() async {
        let environment = ProcessEnvironment.current
        let level = environment["STATION_AGENT_LOG_LEVEL"].flatMap(Logger.Level.init(rawValue:)) ?? .info
        LoggingSystem.bootstrap { label in StationLogHandler(label: label, level: level, environment: environment) }
        do {
            var command = try parseAsRoot(hoistingGlobalOptions(Array(CommandLine.arguments.dropFirst())))
            if var asyncCommand = command as? any AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
        } catch let error as CLIError {
            // One line, whatever the message carries (a typed name, a path, a USB string): escaped whole.
            writeEscapedStandardError("station-agent: \(Escaping.text(error.message.text(RunLanguage.current)))\n")
            Glibc.exit(error.status)
        } catch {
            let code = exitCode(for: error)
            if code == .success {
                // --help and --version land here.
                print(fullMessage(for: error))
                Glibc.exit(0)
            }
            writeStandardError(fullMessage(for: error) + "\n")
            // ArgumentParser's usage errors (64) are SPEC's "bad usage" (2).
            Glibc.exit(code == .validationFailure ? 2 : code.rawValue)
        }
    }
}

/// SPEC §2's `--config` is global: accept it before the command name too
/// (`station-agent --config F counts`) by moving it behind the command name, where each
/// command's `GlobalOptions` reads it.
func hoistingGlobalOptions(_ arguments: [String]) -> [String] {
    var leading: [String] = []
    var rest = arguments[...]
    while let first = rest.first, first.hasPrefix("--config") {
        if first == "--config", rest.count >= 2 {
            leading += rest.prefix(2)
            rest = rest.dropFirst(2)
        } else if first.hasPrefix("--config=") {
            leading.append(first)
            rest = rest.dropFirst()
        } else {
            break
        }
    }
    guard !leading.isEmpty, let command = rest.first else { return arguments }
    return [command] + leading + rest.dropFirst()
}

/// An error that ends a command with a given exit status and a message saying what to do.
/// Said in the language of the run (``RunLanguage``).
struct CLIError: Error {
    let message: Words
    let status: Int32

    static func runtime(_ message: Words) -> CLIError { CLIError(message: message, status: 1) }
    static func usage(_ message: Words) -> CLIError { CLIError(message: message, status: 2) }
    static func problemFound(_ message: Words) -> CLIError { CLIError(message: message, status: 3) }
}

/// The language this run speaks to its user (SPEC §2): the locale's until a configuration is loaded, then its
/// `language` if it has one. Errors are said in it, also those thrown before a command knew its configuration.
enum RunLanguage {
    private static let chosen = Mutex<HumanLanguage?>(nil)

    static var current: HumanLanguage {
        chosen.withLock { $0 } ?? HumanLanguage.ofLocale(ProcessEnvironment.current)
    }

    /// The configuration's language wins over the locale from now on.
    static func follow(_ configuration: StationConfiguration) {
        let language = HumanLanguage.resolve(config: configuration, environment: ProcessEnvironment.current)
        chosen.withLock { $0 = language }
    }
}

enum AgentVersion {
    static let current = "0.1.0"
}


/// Writes to file descriptor 2 directly (SystemSupport's one writer). Every control character but the line feeds
/// the caller composed is escaped (``Escaping``), so no value in a message reaches the terminal as an escape
/// sequence or a carriage return.
func writeStandardError(_ text: String) {
    writeEscapedStandardError(Escaping.lines(text))
}

/// Writes text that is escaped already (escaping it twice would double its backslashes).
func writeEscapedStandardError(_ text: String) {
    SystemSupport.writeStandardError(text)
}
