import HumanWords
import ArgumentParser
import CommandCards
import CountReports
import StationConfig
import SystemSupport
#if canImport(Glibc)
import Glibc
#endif

/// `station-agent cards [--out FILE]`: the printable command barcodes as an SVG page, or as PDF or PNG (through
/// librsvg's `rsvg-convert`, when it is installed) for a PC that has no viewer of its own for SVG.
struct CardsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cards",
        abstract: "Print the command barcodes (#STATION:IN, #STATION:OUT, #STATION:UNDO) as an SVG page.",
        discussion: """
            --out FILE.svg (or no --out: standard output) writes the SVG; FILE.pdf or FILE.png converts it with \
            rsvg-convert (Debian's librsvg2-bin) at 300 dpi, with the Chinese fonts of this box (fonts-noto-cjk).
            """)

    @OptionGroup var global: GlobalOptions

    @Option(help: ArgumentHelp("Write the page to this file (.svg, .pdf or .png) instead of standard output.", valueName: "file"))
    var out: String?

    /// The formats besides SVG, by file extension, as rsvg-convert names them.
    static let converted = ["pdf": "pdf", "png": "png"]

    func run() throws {
        let configuration = try global.loadConfiguration()
        let svg = CardSheet.svg(stationName: configuration.stationName)
        guard let out else {
            print(svg, terminator: "")
            return
        }
        let name = out.split(separator: "/").last.map(String.init) ?? out
        let suffix = name.contains(".") ? String(name.split(separator: ".").last ?? "").lowercased() : ""
        var bytes = Array(svg.utf8)
        if let format = Self.converted[suffix] {
            bytes = try Self.convert(svg, to: format)
        } else if suffix != "svg" && !suffix.isEmpty {
            throw CLIError.usage(Words("--out \(out): the page can be written as .svg, .pdf or .png"))
        }
        // Atomically, through a new temporary file (O_EXCL, O_NOFOLLOW) renamed over the name: a symbolic link
        // planted under that name is replaced, never followed, so its target is never overwritten.
        do {
            try AtomicFile.write(bytes, to: out, mode: 0o644)
        } catch {
            throw CLIError.runtime(Words("cannot write \(out): \(error.description)"))
        }
        print("Wrote \(out): print it at 100% scale (no \"fit to page\") and stick it next to the scanner.")
    }

    /// The page converted by `rsvg-convert` (from PATH), in a private temporary folder.
    static func convert(_ svg: String, to format: String) throws -> [UInt8] {
        let search = (getenv("PATH").map { String(cString: $0) } ?? "/usr/bin:/bin").split(separator: ":")
        guard let program = search.map({ String($0) + "/rsvg-convert" }).first(where: { (path: String) in access(path, X_OK) == 0 }) else {
            throw CLIError.runtime(Words("cannot write \(format.uppercased()) without rsvg-convert: apt install librsvg2-bin fonts-noto-cjk, or write .svg and print it from a browser"))
        }
        let temporary = getenv("TMPDIR").map { String(cString: $0) } ?? "/tmp"
        var template = Array((temporary + "/station-cards-XXXXXX").utf8CString)
        let made = template.withUnsafeMutableBufferPointer { buffer -> String? in
            guard let base = buffer.baseAddress, let result = mkdtemp(base) else { return nil }
            return String(cString: result)
        }
        guard let folder = made else {
            throw CLIError.runtime(Words("cannot make a temporary folder in \(temporary): \(SystemErrno(errno))"))
        }
        let said = folder + "/rsvg-convert.log"
        defer {
            for file in ["cards.svg", "cards." + format, "rsvg-convert.log"] { unlink(folder + "/" + file) }
            rmdir(folder)
        }
        do {
            try AtomicFile.write(Array(svg.utf8), to: folder + "/cards.svg", mode: 0o600)
        } catch {
            throw CLIError.runtime(Words("cannot write a temporary file: \(error)"))
        }
        let arguments = ["--format", format, "--dpi-x", "300", "--dpi-y", "300", "--output", folder + "/cards." + format, folder + "/cards.svg"]
        switch runProgram(program, arguments, outputPath: said) {
        case .failure(let error):
            throw CLIError.runtime(Words("cannot start \(program): \(error)"))
        case .success(let status) where status != 0:
            let output = (try? SystemFile.read(said, limit: 64 << 10).get()).map { String(decoding: $0, as: UTF8.self) } ?? ""
            let reason = output.split(separator: "\n").first.map(String.init) ?? "exit \(status)"
            throw CLIError.runtime(Words("\(program) could not convert the page: \(reason)"))
        case .success:
            break
        }
        switch SystemFile.read(folder + "/cards." + format, limit: 64 << 20, options: .regularFileOnly) {
        case .success(let bytes): return bytes
        case .failure(let error): throw CLIError.runtime(Words("cannot read what rsvg-convert wrote: \(error)"))
        }
    }
}
