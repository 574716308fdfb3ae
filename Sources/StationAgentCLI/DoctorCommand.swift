import ArgumentParser
import FoundationEssentials
import StationAgent
import HumanWords
import StationConfig
import TextEscaping

/// `station-agent doctor [--json]`: what a technician checks before leaving; exit 3 on a fail.
struct DoctorCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "doctor",
        abstract: "Check configuration, clock, disk, journal, udev rules, devices and the service user; exit 3 if something fails.")

    @OptionGroup var global: GlobalOptions

    @Flag(help: "One JSON document on stdout.")
    var json = false

    @Flag(help: "Then play each spoken prompt once through the [voice] device, naming it first.")
    var play = false

    func run() throws {
        if play && json { throw CLIError.usage(Words("--play cannot be combined with --json (it prints what it plays)")) }
        var configuration: StationConfiguration?
        var problem: Words?
        do {
            configuration = try StationConfiguration.load(explicitPath: global.config)
        } catch {
            problem = "\(error)"
        }
        if let configuration { RunLanguage.follow(configuration) }
        let language = RunLanguage.current
        let checks = Doctor.run(configuration: configuration, configurationError: problem)
        if json {
            // Machine output: English, as the keys.
            struct Line: Encodable { let check: String; let status: String; let message: String; let fix: String }
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .withoutEscapingSlashes]
            let data = try encoder.encode(checks.map {
                Line(check: $0.name.description, status: $0.status.rawValue, message: $0.message.description, fix: $0.fix.description)
            })
            print(String(decoding: data, as: UTF8.self))
        } else {
            print(Self.text(checks, language: language))
        }
        if play, !json, let configuration {
            print("\n" + Words("playing the prompts through '\(configuration.voice?.pcm ?? "-")':").text(language))
            if !Doctor.playPrompts(configuration, say: { print("  " + Escaping.text($0)) }) {
                throw CLIError(message: Words("doctor: not every prompt could be played"), status: 3)
            }
        }
        if checks.contains(where: { $0.status == .fail }) {
            throw CLIError(message: Words("doctor found a problem"), status: 3)
        }
    }
}

extension DoctorCommand {
    /// The checks as a technician reads them: status, check, what was found, and below it what to do; in `language`.
    static func text(_ checks: [DoctorCheck], language: HumanLanguage) -> String {
        var lines: [String] = []
        let labels: [DoctorCheck.Status: Words] = [.pass: Words("PASS"), .warn: Words("WARN"), .fail: Words("FAIL")]
        for check in checks {
            // Messages carry paths, USB strings and configuration values: escaped, one line each.
            let status = (labels[check.status] ?? "").text(language).padding(columns: 5)
            lines.append(status + Escaping.text(check.name.text(language)).padding(columns: 26) + Escaping.text(check.message.text(language)))
            if !check.fix.description.isEmpty {
                lines.append(String(repeating: " ", count: 31) + Escaping.text(Words("fix: \(check.fix)").text(language)))
            }
        }
        let failed = checks.filter { $0.status == .fail }.count
        let warned = checks.filter { $0.status == .warn }.count
        lines.append("")
        lines.append(Words("\(checks.count - failed - warned) passed, \(warned) warnings, \(failed) failed").text(language))
        return lines.joined(separator: "\n")
    }
}

extension String {
    /// Padded with spaces to `columns` terminal columns (a CJK character is two), and at least one space.
    func padding(columns: Int) -> String {
        let width = TextTable.displayWidth(self)
        return width >= columns ? self + " " : self + String(repeating: " ", count: columns - width)
    }
}
