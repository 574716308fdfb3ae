import HumanWords
import ArgumentParser
import CountReports
import ScanJournal
import StationAgent
import StationConfig
import StationTime
#if canImport(Glibc)
import Glibc
#endif

/// `station-agent export [--date D | --since D] [--to DIR]`: (re)writes count files into the outbox or DIR.
struct ExportCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "export",
        abstract: "(Re)write the count files of a day, or of every day with scans since a date, into the outbox or DIR.",
        discussion: """
            Without --date or --since: today. --since D: every day from D to today that has scans (and the files of \
            that range already in the target). Files of ended days are final. DIR (a USB stick) gets its own SHA256SUMS.
            """)

    @OptionGroup var global: GlobalOptions

    @Option(help: ArgumentHelp("One business day, YYYY-MM-DD.", valueName: "date"))
    var date: String?

    @Option(help: ArgumentHelp("Every day with scans from this business day on, YYYY-MM-DD.", valueName: "date"))
    var since: String?

    @Option(help: ArgumentHelp("Write into this existing directory instead of the outbox.", valueName: "dir"))
    var to: String?

    func validate() throws {
        if date != nil && since != nil { throw ValidationError("--date and --since exclude each other") }
        for (name, value) in [("--date", date), ("--since", since)] {
            if let value { _ = try DateOption.parse(value, option: name) }
        }
    }

    func run() async throws {
        let configuration = try global.loadConfiguration()
        var settings = CountSettings(
            configuration: configuration, zone: try ScansCommand.zone(configuration), agentVersion: AgentVersion.current)
        guard OutboxDirectory.isSafeStationID(settings.stationID) else {
            throw CLIError.usage(Words("station_id \"\(settings.stationID)\" cannot name a count file"))
        }
        if let to {
            // A USB stick comes from anywhere: a symbolic link as the target would send root's files wherever it
            // points. The real directory (the stick's mount point) must be given.
            var trimmed = to
            while trimmed.count > 1 && trimmed.hasSuffix("/") { trimmed.removeLast() }
            var info = stat()
            guard lstat(trimmed, &info) == 0 else {
                throw CLIError.runtime(Words("--to \(to): no such directory (is the USB stick mounted?)"))
            }
            if info.st_mode & S_IFMT == S_IFLNK {
                throw CLIError.runtime(
                    Words("--to \(to) is a symbolic link: give the directory itself (the stick's mount point, e.g. /media/usb), not a link to it"))
            }
            guard info.st_mode & S_IFMT == S_IFDIR else {
                throw CLIError.runtime(Words("--to \(to): not a directory (give the USB stick's mount point)"))
            }
            settings.outboxDirectory = trimmed
        }
        let outbox = settings.outbox
        let now = SystemClock.wallNanos()
        let zone = settings.zone
        let today = zone.businessDay(utcNanos: now)
        let chosenDate = try date.map { try DateOption.parse($0, option: "--date") }
        let sinceDate = try since.map { try DateOption.parse($0, option: "--since") }
        if let chosenDate { try DateOption.requireBegun(chosenDate, option: "--date", today: today, zone: zone) }
        if let sinceDate { try DateOption.requireBegun(sinceDate, option: "--since", today: today, zone: zone) }
        do {
            let reader = try JournalReader(dataDirectory: configuration.dataDirectory)
            var days: [LocalDate]
            if let since = sinceDate {
                var set = Set(try reader.eventDays(in: zone, fromNanos: zone.startOfDayNanos(since)).filter { $0 <= today })
                for (day, _) in outbox.countFiles(stationID: settings.stationID) where day >= since && day <= today { set.insert(day) }
                days = set.sorted()
            } else {
                days = [chosenDate ?? today]
            }
            if to == nil { try outbox.create() }
            var documents: [CountDocument] = []
            for day in days { documents.append(try settings.document(for: day, reader: reader, nowNanos: now)) }
            try outbox.write(documents)
            for document in documents {
                print("\(outbox.path)/\(document.baseName).json, .csv (\(document.header.isFinal ? "final" : "day still open"))")
            }
            if documents.isEmpty { print("No days with scans in that range: nothing written.") }
            print("\(outbox.checksumPath) updated")
        } catch let error as JournalError {
            if case .noJournal(let path) = error { throw CLIError.runtime(Words("no journal at \(path) yet: nothing to export")) }
            throw CLIError.runtime("\(error)")
        } catch let error as CountFileError {
            throw CLIError.runtime("\(error)")
        }
    }
}
