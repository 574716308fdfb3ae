import ArgumentParser
import FoundationEssentials
import StationAgent
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
        if play && json { throw CLIError.usage("--play cannot be combined with --json (it prints what it plays)") }
        var configuration: StationConfiguration?
        var problem: String?
        do {
            configuration = try StationConfiguration.load(explicitPath: global.config)
        } catch {
            problem = error.description
        }
        let checks = Doctor.run(configuration: configuration, configurationError: problem)
        if json {
            struct Line: Encodable { let check: String; let status: String; let message: String; let fix: String }
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .withoutEscapingSlashes]
            let data = try encoder.encode(checks.map { Line(check: $0.name, status: $0.status.rawValue, message: $0.message, fix: $0.fix) })
            print(String(decoding: data, as: UTF8.self))
        } else {
            for check in checks {
                // Messages carry paths, USB strings and configuration values: escaped, one line each.
                print("\(check.status.rawValue.uppercased().padding(5))\(Escaping.text(check.name).padding(26))\(Escaping.text(check.message))")
                if !check.fix.isEmpty { print(String(repeating: " ", count: 31) + "fix: " + Escaping.text(check.fix)) }
            }
            let failed = checks.filter { $0.status == .fail }.count
            let warned = checks.filter { $0.status == .warn }.count
            print("\n\(checks.count - failed - warned) passed, \(warned) warnings, \(failed) failed")
        }
        if play, !json, let configuration {
            print("\nplaying the prompts through '\(configuration.voice?.pcm ?? "-")':")
            if !Doctor.playPrompts(configuration, say: { print("  " + Escaping.text($0)) }) {
                throw CLIError(message: "doctor: not every prompt could be played", status: 3)
            }
        }
        if checks.contains(where: { $0.status == .fail }) {
            throw CLIError(message: "doctor found a problem", status: 3)
        }
    }
}

extension String {
    func padding(_ width: Int) -> String {
        count >= width ? self + " " : self + String(repeating: " ", count: width - count)
    }
}
