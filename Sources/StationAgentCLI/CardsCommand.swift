import ArgumentParser
import CommandCards
import CountReports
import StationConfig
#if canImport(Glibc)
import Glibc
#endif

/// `station-agent cards [--out FILE]`: the printable command barcodes as an SVG page.
struct CardsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cards",
        abstract: "Print the command barcodes (#STATION:IN, #STATION:OUT, #STATION:UNDO) as an SVG page.")

    @OptionGroup var global: GlobalOptions

    @Option(help: ArgumentHelp("Write the SVG to this file instead of standard output.", valueName: "file"))
    var out: String?

    func run() throws {
        let configuration = try global.loadConfiguration()
        let svg = CardSheet.svg(stationName: configuration.stationName)
        guard let out else {
            print(svg, terminator: "")
            return
        }
        // Atomically, through a new temporary file (O_EXCL, O_NOFOLLOW) renamed over the name: a symbolic link
        // planted under that name is replaced, never followed, so its target is never overwritten.
        do {
            try AtomicFile.write(Array(svg.utf8), to: out, mode: 0o644)
        } catch {
            throw CLIError.runtime("cannot write \(out): \(error.description)")
        }
        print("Wrote \(out): print it at 100% scale (no \"fit to page\") and stick it next to the scanner.")
    }
}
