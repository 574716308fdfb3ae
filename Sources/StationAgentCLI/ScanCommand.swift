import ArgumentParser
import Logging
import ParcelRules
import ScanJournal
import StationConfig
import StationTime
import TextEscaping

/// `station-agent scan CODE (--in | --out) [--device NAME]`: manual entry when a scanner is broken or a label is
/// damaged. It goes through the journal's one writer and the same rules as a USB scan (source `manual`), so a
/// typed code is deduplicated, counted and undoable exactly like a scanned one — even while the agent runs.
struct ScanCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "scan",
        abstract: "Enter a parcel code by hand, through the same rules as a USB scan.",
        discussion: """
            Prints one line: outcome, code, carrier, verdict, reason and the journal sequence number. The scan is \
            recorded before anything is printed. A command card text works too: with --device, #STATION:UNDO undoes \
            that device's newest parcel event of the last 10 minutes, and #STATION:IN / #STATION:OUT switch a \
            switchable device's mode (the --in/--out given does not matter for them).
            """)

    /// The direction typed by the operator; it becomes the manual scan's fixed role.
    enum ManualDirection: String, EnumerableFlag {
        case `in`, out

        static func help(for value: ManualDirection) -> ArgumentHelp? {
            value == .in ? "Inbound (入库): the parcel arrived." : "Outbound (出库): the parcel was handed over."
        }
    }

    @OptionGroup var global: GlobalOptions

    @Argument(help: "The parcel code as printed on the label.")
    var code: String

    @Flag(help: "The direction of the scan.")
    var direction: ManualDirection

    @Option(help: "Record the scan under this configured device instead of `manual`.")
    var device: String?

    func run() async throws {
        let configuration = try global.loadConfiguration()
        let assigned = device.flatMap(configuration.device(named:))
        if let device, assigned == nil {
            let known = configuration.devices.map(\.name)
            throw CLIError.usage(
                "--device \(device): no such device in the configuration"
                    + (known.isEmpty ? " (it configures no [[devices]]); leave --device out to record as `manual`"
                        : "; configured devices: \(known.joined(separator: ", "))"))
        }
        // A mode card typed for a switchable device switches it, as scanning the card would (SPEC §5.3); anything
        // else typed by hand goes in the direction given.
        var role: DeviceRole = direction == .in ? .inbound : .outbound
        if assigned?.role == .switchable, CommandCard(code: NormalizedScan(raw: code).code)?.selectedDirection != nil {
            role = .switchable
        }
        let reading = SystemClock().now()
        let scan = JournalScan(raw: code, device: device ?? "manual", role: role, source: .manual, at: reading)
        var logger = Logger(label: "station-agent.scan")
        logger.logLevel = .warning
        let journal: ScanJournal
        do {
            // Root (a technician with sudo) writes as the data directory's owner, so the journal files stay the
            // service's: a root-owned journal would leave the agent retrying "readonly database".
            _ = try DataDirectoryOwner.actAsOwner(of: configuration.dataDirectory)
            // No whole-file check for one manual line: the agent checks at its start, `doctor` and `verify` on demand.
            journal = try ScanJournal(
                dataDirectory: configuration.dataDirectory,
                rules: ScanRules(configuration: configuration.ruleConfiguration),
                options: JournalOptions(checksIntegrityAtOpen: false), logger: logger)
        } catch {
            throw CLIError.runtime(error.description)
        }
        let accepted: AcceptedScan
        do {
            accepted = try await journal.submit(scan)
        } catch {
            await journal.close()
            throw CLIError.runtime(error.description)
        }
        await journal.close()
        print(Self.line(accepted))
    }

    /// `released SF1000000000000 carrier=SF verdict=ok reason=- seq=42`.
    static func line(_ accepted: AcceptedScan) -> String {
        let decision = accepted.decision
        var parts = [
            decision.outcome.rawValue, decision.code.isEmpty ? "<empty>" : Escaping.text(decision.code),
            "carrier=" + (decision.carrier?.rawValue ?? "-"), "verdict=" + (decision.verdict?.rawValue ?? "-"),
            "reason=" + (decision.reason?.rawValue ?? "-"),
        ]
        if let undo = decision.undo { parts.append("undid=\(undo.seq)(\(Escaping.text(undo.code)))") }
        if let mode = decision.modeChange { parts.append("mode=\(mode.rawValue)") }
        parts.append("seq=\(accepted.seq)")
        return parts.joined(separator: " ")
    }
}
