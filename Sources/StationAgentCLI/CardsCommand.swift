import ArgumentParser
import CommandCards
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
        guard let file = fopen(out, "w") else {
            throw CLIError.runtime("cannot write \(out): \(String(cString: strerror(errno)))")
        }
        let bytes = Array(svg.utf8)
        let written = fwrite(bytes, 1, bytes.count, file)
        let closed = fclose(file)
        guard written == bytes.count, closed == 0 else {
            throw CLIError.runtime("cannot write \(out): \(String(cString: strerror(errno)))")
        }
        print("Wrote \(out): print it at 100% scale (no \"fit to page\") and stick it next to the scanner.")
    }
}
