import HumanWords
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
        usage: """
            station-agent scan <code> (--in | --out) [--device <name>]
              station-agent scan <code> --device <name>
            """,
        discussion: """
            Prints one line: outcome, code, carrier, verdict, reason and the journal sequence number. The scan is \
            recorded before anything is printed. With --device the device decides the direction, as for a USB scan: \
            an inbound device receives, an outbound device releases, a switchable device follows its mode (its last \
            #STATION:IN / #STATION:OUT card). --in/--out may then be left out; one that contradicts the device is \
            refused, naming the device's role or mode. A command card text works too: with --device, #STATION:UNDO \
            undoes that device's newest parcel event of the last 10 minutes, and #STATION:IN / #STATION:OUT switch a \
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

    @Flag(help: "The direction of the scan (required without --device; with --device it must agree with the device).")
    var direction: ManualDirection?

    @Option(help: "Record the scan under this configured device instead of `manual`.")
    var device: String?

    func run() async throws {
        let configuration = try global.loadConfiguration()
        let assigned = device.flatMap(configuration.device(named:))
        if let device, assigned == nil {
            let known = configuration.devices.map(\.name)
            throw CLIError.usage(known.isEmpty
                ? Words("--device \(device): no such device in the configuration (it configures no [[devices]]); leave --device out to record as `manual`")
                : Words("--device \(device): no such device in the configuration; configured devices: \(known.joined(separator: ", "))"))
        }
        let role = try Self.role(code: code, direction: direction, device: assigned, dataDirectory: configuration.dataDirectory)
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
            throw CLIError.runtime("\(error)")
        }
        let accepted: AcceptedScan
        do {
            accepted = try await journal.submit(scan)
        } catch {
            await journal.close()
            throw CLIError.runtime("\(error)")
        }
        await journal.close()
        print(Self.line(accepted))
        let language = HumanLanguage.resolve(config: configuration, environment: ProcessEnvironment.current)
        // The outcome line stays as it is in every language (scripts read it); the operator reads the sentence, or
        // the note when there is one (it says the same, with why).
        if let note = Self.note(accepted, language: language) {
            print(note)
        } else if language == .zh {
            print(Self.sentence(accepted, language: language))
        }
    }

    /// The phrase of a reason (SPEC §5), for people.
    static func reasonPhrase(_ reason: Reason) -> Phrase {
        switch reason {
        case .badLength: .reasonBadLength
        case .badCharacters: .reasonBadCharacters
        case .productBarcode: .reasonProductBarcode
        case .s10CheckDigit: .reasonS10CheckDigit
        case .modeCardIgnored: .reasonModeCardIgnored
        case .nothingToUndo: .reasonNothingToUndo
        case .undoSuperseded: .reasonUndoSuperseded
        }
    }

    /// What happened to the scan, in one sentence of the operator's words.
    static func sentence(_ accepted: AcceptedScan, language: HumanLanguage) -> String {
        let decision = accepted.decision
        let code = decision.code.isEmpty ? "<empty>" : Escaping.text(decision.code)
        switch decision.outcome {
        case .received: return Phrase.saidReceived.text(language, [code])
        case .rescan: return Phrase.saidRescan.text(language, [code])
        case .released: return Phrase.saidReleased.text(language, [code])
        case .releasedUnmatched: return Phrase.saidReleasedUnmatched.text(language, [code])
        case .repeatRelease: return Phrase.saidRepeatRelease.text(language, [code])
        case .duplicate: return Phrase.saidDuplicate.text(language, [code])
        case .rejected:
            return Phrase.saidRejected.text(language, [code, decision.reason.map { reasonPhrase($0).text(language) } ?? "-"])
        case .command:
            if let undo = decision.undo { return Phrase.saidUndone.text(language, [String(undo.seq), Escaping.text(undo.code)]) }
            if let mode = decision.modeChange { return (mode == .inbound ? Phrase.saidModeIn : .saidModeOut).text(language) }
            if let reason = decision.reason { return Phrase.saidCommand.text(language, [code]) + "：" + reasonPhrase(reason).text(language) }
            return Phrase.saidCommand.text(language, [code])
        }
    }

    /// The role the scan is recorded with. Without a device, the direction typed. With a device, the device's own
    /// role (a switchable device follows its stored mode, as for a USB scan); a typed direction that contradicts it
    /// is refused in words, never recorded the other way.
    static func role(code: String, direction: ManualDirection?, device: DeviceConfiguration?, dataDirectory: String) throws -> DeviceRole {
        guard let device else {
            guard let direction else {
                throw CLIError.usage(Words("say the direction: --in (the parcel arrived) or --out (handed over), or name a configured --device"))
            }
            return direction == .in ? .inbound : .outbound
        }
        let card = CommandCard(code: NormalizedScan(raw: code).code)
        // Command cards go to the device as they are: a mode card switches a switchable device (SPEC §5.3) and is
        // ignored by a fixed one; an undo undoes the device's newest parcel event.
        if card != nil { return device.role }
        let wanted: Direction? = direction.map { $0 == .in ? .inbound : .outbound }
        switch device.role {
        case .inbound, .outbound:
            let fixed: Direction = device.role == .inbound ? .inbound : .outbound
            if let wanted, wanted != fixed {
                throw CLIError.usage(fixed == .inbound
                    ? Words("--out contradicts device \(device.name): its role is inbound, so it records only arrivals (--in): leave --device out to record as `manual`, or name a device of the other role")
                    : Words("--in contradicts device \(device.name): its role is outbound, so it records only releases (--out): leave --device out to record as `manual`, or name a device of the other role"))
            }
        case .switchable:
            var mode: Direction = .inbound
            do {
                mode = try JournalReader(dataDirectory: dataDirectory).switchableMode(device: device.name) ?? .inbound
            } catch .noJournal {
                mode = .inbound
            } catch {
                throw CLIError.runtime("\(error)")
            }
            if let wanted, wanted != mode {
                let card = mode == .inbound ? "#STATION:OUT" : "#STATION:IN"
                throw CLIError.usage(mode == .inbound
                    ? Words("--out contradicts device \(device.name): it is switchable and now in inbound mode, so a scan on it records an arrival: leave --in/--out out to follow its mode, switch it first (station-agent scan '\(card)' --device \(device.name)), or leave --device out to record as `manual`")
                    : Words("--in contradicts device \(device.name): it is switchable and now in outbound mode, so a scan on it records a release: leave --in/--out out to follow its mode, switch it first (station-agent scan '\(card)' --device \(device.name)), or leave --device out to record as `manual`"))
            }
        }
        return device.role
    }

    /// A plain-words line after the outcome where the outcome alone would leave the operator guessing.
    static func note(_ accepted: AcceptedScan, language: HumanLanguage = .en) -> String? {
        let decision = accepted.decision
        guard decision.outcome == .command, CommandCard(code: decision.code) == .undo, decision.undo == nil else { return nil }
        let why: Phrase = decision.reason == .undoSuperseded ? .reasonUndoSuperseded : .reasonNothingToUndo
        return Phrase.saidNothingUndone.text(language, [why.text(language)])
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
