import CountReports
public import ParcelRules
public import StationTime

/// One station's row for one day of the county table.
public struct StationDay: Sendable, Hashable {
    public enum Status: String, Sendable, Hashable {
        /// A count file was read and counted.
        case ok
        /// No count file (or none that could be counted) for a station that should have sent one.
        case missing
        /// A final file that reads differently from the final file of that day read before (SPEC §9).
        case changedAfterUpload = "changed_after_upload"
    }

    public var date: LocalDate
    public var stationID: String
    public var stationName: String
    public var status: Status
    /// The file counted; nil when missing.
    public var file: CountFileSummary?
}

/// A final day that the box rewrote after the roll-up had read it: both versions' numbers.
public struct ChangedDay: Sendable, Hashable {
    public var stationID: String
    public var date: LocalDate
    public var before: RollupState.Entry
    public var after: RollupState.Entry
    public var file: String
}

/// The county's table for a period (SPEC §9): every station's row for every day, the totals, and what a
/// supervisor must look at.
public struct RollupReport: Sendable {
    public var from: LocalDate
    public var to: LocalDate
    public var days: [LocalDate]
    /// Sorted by day, then station id (byte order).
    public var rows: [StationDay]
    /// The stations that should have sent a file each day: the `--stations` list, or every station seen.
    public var stations: [String]
    public var stationsFromList: Bool
    /// Station id → the name its newest file gives (may be empty).
    public var names: [String: String]
    public var problems: [FileProblem]
    public var changed: [ChangedDay]
    /// Stations that sent files but are not on the `--stations` list (counted all the same).
    public var unlisted: [String]
    /// Count files looked at.
    public var filesSeen: Int

    /// The counted rows (a file was read).
    public var counted: [StationDay] { rows.filter { $0.file != nil } }
    public var missing: [StationDay] { rows.filter { $0.status == .missing } }
    public var notFinal: [StationDay] { rows.filter { $0.file.map { !$0.isFinal } ?? false } }

    /// The county's totals per day: the sum over the day's counted files.
    public func totals(of day: LocalDate) -> RollupCounters {
        var sum = RollupCounters()
        for row in rows where row.date == day { if let file = row.file { sum += file.totals } }
        return sum
    }

    /// Per carrier for one day (nil `day`: the whole period; stock numbers then add up days, and only the
    /// flows mean something).
    public func byCarrier(of day: LocalDate?) -> [String: RollupCounters] {
        var sums: [String: RollupCounters] = [:]
        for row in rows where day == nil || row.date == day {
            for (carrier, counters) in row.file?.byCarrier ?? [:] { sums[carrier, default: RollupCounters()] += counters }
        }
        return sums
    }

    /// The period's totals: flows summed over the days; `in_stock_end` and `stale` of the last day.
    public var periodTotals: RollupCounters {
        var sum = RollupCounters()
        for day in days { sum += totals(of: day) }
        let last = totals(of: to)
        sum.inStockEnd = last.inStockEnd
        sum.stale = last.stale
        return sum
    }

    /// Each station's newest counted row of the period (its stock now, as far as the county knows).
    public var latestByStation: [StationDay] {
        var latest: [String: StationDay] = [:]
        for row in rows where row.file != nil {
            if let seen = latest[row.stationID], seen.date > row.date { continue }
            latest[row.stationID] = row
        }
        return latest.values.sorted { $0.stationID < $1.stationID }
    }

    /// Stations ranked by a number of their newest file, highest first, ties by id; zeros left out.
    public func ranked(by number: (RollupCounters) -> Int) -> [StationDay] {
        latestByStation.filter { number($0.file!.totals) > 0 }
            .sorted { number($0.file!.totals) != number($1.file!.totals) ? number($0.file!.totals) > number($1.file!.totals) : $0.stationID < $1.stationID }
    }
}

/// Merges what the sources gave into the county's table, and remembers the final files read (SPEC §9).
public enum Rollup {
    /// The table for `days`. `stations`: who should have sent a file (nil: every station seen in the period).
    /// `state` is updated with the final files read for the first time; a final file that differs from the
    /// version remembered is listed in `changed` (the remembered version stays the reference).
    public static func build(
        days: ClosedRange<LocalDate>, input: RollupInput, stations listed: [String]?, state: inout RollupState
    ) -> RollupReport {
        var problems = input.problems
        // One file per station and day: identical copies (an outbox copied twice) count once; of different
        // copies the final one wins, then the newest; two different finals are a problem to look at.
        var chosen: [String: CountFileSummary] = [:]
        for file in input.files.sorted(by: { $0.source < $1.source }) {
            let key = RollupState.key(file.stationID, file.date)
            guard let other = chosen[key] else { chosen[key] = file; continue }
            if other.sha256 == file.sha256 { continue }
            if other.isFinal && file.isFinal && (other.lastHash != file.lastHash || other.totals != file.totals) {
                problems.append(FileProblem(
                    file: file.source, kind: "conflict",
                    detail: "another final file of \(file.stationID) \(file.date) with other numbers: \(other.source)"))
            }
            if (file.isFinal && !other.isFinal) || (file.isFinal == other.isFinal && file.generatedAt > other.generatedAt) {
                chosen[key] = file
            }
        }
        var names: [String: String] = [:]
        var newest: [String: LocalDate] = [:]
        for file in chosen.values where !file.stationName.isEmpty {
            if let seen = newest[file.stationID], seen > file.date { continue }
            newest[file.stationID] = file.date
            names[file.stationID] = file.stationName
        }
        let seen = Set(chosen.values.map(\.stationID))
        let expected: [String]
        if let listed {
            expected = Array(Set(listed).union(seen))
        } else {
            expected = Array(seen)
        }
        let stations = expected.sorted { Array($0.utf8).lexicographicallyPrecedes(Array($1.utf8)) }
        var dayList: [LocalDate] = []
        var day = days.lowerBound
        while day <= days.upperBound { dayList.append(day); day = day.adding(days: 1) }

        var rows: [StationDay] = []
        var changed: [ChangedDay] = []
        for day in dayList {
            for station in stations {
                let key = RollupState.key(station, day)
                guard let file = chosen[key] else {
                    rows.append(StationDay(date: day, stationID: station, stationName: names[station] ?? "", status: .missing, file: nil))
                    continue
                }
                var status = StationDay.Status.ok
                let now = RollupState.Entry(file)
                if let before = state.finals[key] {
                    if before.lastHash != now.lastHash || before.totals != now.totals || !file.isFinal {
                        status = .changedAfterUpload
                        changed.append(ChangedDay(stationID: station, date: day, before: before, after: now, file: file.source))
                    }
                } else if file.isFinal {
                    state.finals[key] = now
                }
                rows.append(StationDay(date: day, stationID: station, stationName: names[station] ?? file.stationName, status: status, file: file))
            }
        }
        let unlisted = listed.map { Set(seen).subtracting($0).sorted() } ?? []
        return RollupReport(
            from: days.lowerBound, to: days.upperBound, days: dayList, rows: rows, stations: stations,
            stationsFromList: listed != nil, names: names,
            problems: problems.sorted { ($0.file, $0.kind) < ($1.file, $1.kind) }, changed: changed, unlisted: unlisted,
            filesSeen: input.filesSeen)
    }

    /// The stations of a `--stations` file: one id per line; blank lines and `#` comments ignored; anything after
    /// the id on its line (a name, a tab) ignored. Lines that are not a station id are returned as errors.
    public static func parseStationList(_ text: String) -> (stations: [String], bad: [String]) {
        var stations: [String] = []
        var bad: [String] = []
        for raw in text.split(whereSeparator: { $0 == "\n" || $0 == "\r\n" }) {
            var line = Substring(raw)
            if line.hasPrefix("\u{FEFF}") { line = line.dropFirst() }
            if let hash = line.firstIndex(of: "#") { line = line[..<hash] }
            let id = line.split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "," || $0 == "\r" }).first.map(String.init) ?? ""
            if id.isEmpty { continue }
            if CountFileParser.isSafeStationID(id) { stations.append(id) } else { bad.append(String(raw)) }
        }
        return (stations, bad)
    }
}
