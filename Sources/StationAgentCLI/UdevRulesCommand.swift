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
        print(UdevRules.forConfiguration(try global.loadConfiguration()), terminator: "")
    }
}
