import ArgumentParser
import StationAgent
import StationConfig

/// `station-agent udev-rules`: rules for the configured devices, ready for /etc/udev/rules.d.
struct UdevRulesCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "udev-rules",
        abstract: "Print udev rules for the configured devices (or the built-in scanner makers), ready for /etc/udev/rules.d.")

    @OptionGroup var global: GlobalOptions

    func run() throws {
        // An entry that gets no rule (no vendor_id, or a serial a rule cannot carry) is said on stderr, so it
        // shows when the output is redirected into the rules file.
        let rules = UdevRules.forConfiguration(try global.loadConfiguration()) { writeStandardError($0 + "\n") }
        print(rules, terminator: "")
    }
}
