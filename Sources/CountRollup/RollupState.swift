public import CountReports
import StationTime
import SystemSupport

/// What the roll-up remembers of the final files it has read (SPEC §9), in `<out>/rollup-state.tsv`: per station
/// and day the first final version's `journal.last_hash`, totals, `generated_at` and SHA-256. A final file that
/// later reads differently is *changed after upload*; the first version stays the reference, so the change stays
/// listed until a supervisor deletes the file (which only forgets history: the next run remembers anew).
///
/// One line per station and day, tab-separated, after a `# station-rollup-state/1` line:
/// `station_id  date  last_hash|-  generated_at  sha256  inbound,outbound,...,rejected` (SPEC §7's order). Small and
/// quick to read for thousands of stations over a year; written atomically (temp, fsync, rename).
public struct RollupState: Sendable {
    public static let fileName = "rollup-state.tsv"
    static let header = "# station-rollup-state/1"

    public struct Entry: Sendable, Hashable {
        public var lastHash: String?
        public var totals: RollupCounters
        public var generatedAt: String
        public var sha256: String
        public var isFinal: Bool

        init(_ file: CountFileSummary) {
            lastHash = file.lastHash
            totals = file.totals
            generatedAt = file.generatedAt
            sha256 = file.sha256
            isFinal = file.isFinal
        }

        init(lastHash: String?, totals: RollupCounters, generatedAt: String, sha256: String) {
            self.lastHash = lastHash
            self.totals = totals
            self.generatedAt = generatedAt
            self.sha256 = sha256
            self.isFinal = true
        }
    }

    /// `station|date` → the first final version read.
    public var finals: [String: Entry] = [:]

    public init() {}

    static func key(_ station: String, _ date: LocalDate) -> String { station + "|" + date.description }

    /// The state in `directory`, empty when there is none. A damaged line is skipped (and counted in `skipped`),
    /// never fatal: the state is a memory, not a record.
    public static func load(directory: String) -> (state: RollupState, skipped: Int) {
        var state = RollupState()
        guard case .success(let bytes) = SystemFile.read(directory + "/" + fileName, limit: 1 << 30, options: .regularFileOnly)
        else { return (state, 0) }
        var skipped = 0
        // Byte-wise: the file has a line per station and day read so far (62,000 for 2,000 stations × 31 days).
        func text(_ bytes: ArraySlice<UInt8>) -> String { String(decoding: bytes, as: UTF8.self) }
        for line in bytes.split(separator: 0x0A) {
            if line.first == UInt8(ascii: "#") { continue }
            let fields = line.split(separator: 0x09, omittingEmptySubsequences: false)
            guard fields.count == 6, let date = LocalDate(text(fields[1])),
                let totals = RollupCounters(fileValues: fields[5].split(separator: UInt8(ascii: ",")).compactMap { Int(text($0)) })
            else { skipped += 1; continue }
            let hash = fields[2].elementsEqual("-".utf8) ? nil : text(fields[2])
            state.finals[key(text(fields[0]), date)] = Entry(
                lastHash: hash, totals: totals, generatedAt: text(fields[3]), sha256: text(fields[4]))
        }
        return (state, skipped)
    }

    /// Writes the state into `directory`, atomically.
    public func save(directory: String) throws(CountFileError) {
        var text = Self.header + "\n"
        for key in finals.keys.sorted() {
            let entry = finals[key]!
            let parts = key.split(separator: "|", maxSplits: 1)
            let generatedAt = String(entry.generatedAt.unicodeScalars.map { $0.value < 0x20 || $0 == "\u{7F}" ? " " : Character($0) })
            text += [String(parts[0]), String(parts[1]), entry.lastHash ?? "-", generatedAt.isEmpty ? "-" : generatedAt, entry.sha256,
                     entry.totals.fileValues.map(String.init).joined(separator: ",")].joined(separator: "\t") + "\n"
        }
        try AtomicFile.write(Array(text.utf8), to: directory + "/" + Self.fileName, mode: 0o644)
    }
}
