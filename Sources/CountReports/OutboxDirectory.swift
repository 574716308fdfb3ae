public import StationTime
import Hashing
import SystemSupport
#if canImport(Glibc)
import Glibc
#endif

/// A directory of count files with its `SHA256SUMS`: the outbox, or a USB stick given to `export --to`.
///
/// Writers lock the directory (`flock` on the directory itself) for a day's two files and the checksum list, so the
/// agent's refresher and an `export` never interleave, and `SHA256SUMS` is read, updated and replaced as one step.
public struct OutboxDirectory: Sendable {
    public static let checksumFileName = "SHA256SUMS"

    public let path: String
    public var operations: FileOperations

    public init(path: String, operations: FileOperations = .system) {
        self.path = path.count > 1 && path.hasSuffix("/") ? String(path.dropLast()) : path
        self.operations = operations
    }

    public var checksumPath: String { path + "/" + Self.checksumFileName }

    /// Whether `stationID` is safe as the first part of a file name in this directory (SPEC §3's rule, checked again
    /// here so no configuration path can make a count file land outside the outbox).
    public static func isSafeStationID(_ stationID: String) -> Bool {
        let bytes = Array(stationID.utf8)
        guard (1...64).contains(bytes.count), let first = bytes.first, isAlphanumeric(first) else { return false }
        return bytes.allSatisfy { isAlphanumeric($0) || $0 == UInt8(ascii: ".") || $0 == UInt8(ascii: "_") || $0 == UInt8(ascii: "-") }
    }

    static func isAlphanumeric(_ byte: UInt8) -> Bool {
        (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte) || (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(byte)
            || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte)
    }

    /// Creates the directory (and parents) with mode 0750 if missing.
    public func create() throws(CountFileError) {
        var prefix = path.hasPrefix("/") ? "/" : ""
        for component in path.split(separator: "/") {
            prefix += (prefix.isEmpty || prefix.hasSuffix("/") ? "" : "/") + component
            if mkdir(prefix, 0o750) != 0, errno != EEXIST {
                throw CountFileError(path: prefix, operation: "mkdir", errno: errno)
            }
        }
    }

    /// Writes a day's JSON and CSV atomically and brings `SHA256SUMS` in step, under the directory lock.
    ///
    /// Order: JSON, CSV, then `SHA256SUMS`; each replaced atomically. If a step fails (disk full), the files not yet
    /// replaced keep their previous content; a stale `SHA256SUMS` line is what `verify` then reports until the next
    /// successful write.
    public func write(_ document: CountDocument) throws(CountFileError) {
        try write([document])
    }

    /// Writes several days' files, then `SHA256SUMS` once.
    public func write(_ documents: [CountDocument]) throws(CountFileError) {
        for document in documents {
            guard Self.isSafeStationID(document.header.stationID) else {
                throw CountFileError(
                    path: path, operation: "name a count file", errno: EINVAL,
                    detail: "station_id \"\(document.header.stationID)\" is not a safe file name")
            }
        }
        try withLock { () throws(CountFileError) in
            var sums = readChecksums()
            for document in documents {
                for (name, text) in [(document.jsonFileName, document.json), (document.csvFileName, document.csv)] {
                    let bytes = Array(text.utf8)
                    try AtomicFile.write(bytes, to: path + "/" + name, operations: operations)
                    sums.entries[name] = SHA256.hexDigest(bytes)
                }
            }
            // Entries whose file is gone are dropped; malformed lines are not carried over.
            sums.entries = sums.entries.filter { access(path + "/" + $0.key, F_OK) == 0 }
            // Every count file is listed (SPEC §7), also one written before the list was lost or replaced: a file
            // missing from it is hashed as it is. Listed files keep their line (a changed one is for `verify`).
            for name in list() ?? [] where sums.entries[name] == nil && Self.isCountFileName(name) {
                if let bytes = AtomicFile.read(path + "/" + name) { sums.entries[name] = SHA256.hexDigest(bytes) }
            }
            try AtomicFile.write(Array(sums.text.utf8), to: checksumPath, operations: operations)
        }
    }

    /// Runs `body` holding the directory's exclusive lock (writers), or its shared lock (`verify`, which must not
    /// see a write half done: a count file without its SHA256SUMS line, a temporary file about to be renamed).
    public func withLock<T>(shared: Bool = false, _ body: () throws(CountFileError) -> T) throws(CountFileError) -> T {
        let fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard fd >= 0 else { throw CountFileError(path: path, operation: "open directory", errno: errno) }
        defer { close(fd) }
        guard retryingInterrupts({ flock(fd, shared ? LOCK_SH : LOCK_EX) }) == 0 else {
            throw CountFileError(path: path, operation: "lock", errno: errno)
        }
        defer { flock(fd, LOCK_UN) }
        return try body()
    }

    /// The parsed `SHA256SUMS` (empty when there is none).
    public func readChecksums() -> ChecksumList {
        guard let bytes = AtomicFile.read(checksumPath) else { return ChecksumList() }
        return ChecksumList(parsing: String(decoding: bytes, as: UTF8.self))
    }

    /// The names of the entries of the directory (not `.` and `..`), sorted; nil if it cannot be listed.
    public func list() -> [String]? {
        guard let directory = opendir(path) else { return nil }
        defer { closedir(directory) }
        var names: [String] = []
        while let entry = readdir(directory) {
            let name = directoryEntryName(entry)
            if name != "." && name != ".." { names.append(name) }
        }
        return names.sorted()
    }

    /// The count files of `stationID` present, by day: which of `.json` and `.csv` exist.
    public func countFiles(stationID: String) -> [LocalDate: (json: Bool, csv: Bool)] {
        var days: [LocalDate: (json: Bool, csv: Bool)] = [:]
        for name in list() ?? [] {
            guard let (date, isJSON) = Self.parseCountFileName(name, stationID: stationID) else { continue }
            var entry = days[date] ?? (false, false)
            if isJSON { entry.json = true } else { entry.csv = true }
            days[date] = entry
        }
        return days
    }

    /// `(date, isJSON)` for `<stationID>_<YYYY-MM-DD>.json|.csv`.
    public static func parseCountFileName(_ name: String, stationID: String) -> (LocalDate, Bool)? {
        let prefix = stationID + "_"
        guard name.hasPrefix(prefix) else { return nil }
        let rest = name.dropFirst(prefix.count)
        let isJSON = rest.hasSuffix(".json")
        guard isJSON || rest.hasSuffix(".csv") else { return nil }
        let dateText = rest.dropLast(isJSON ? 5 : 4)
        guard dateText.count == 10, let date = LocalDate(String(dateText)), date.description == dateText else { return nil }
        return (date, isJSON)
    }

    /// Whether `name` is a count file of any station: `<station_id>_<YYYY-MM-DD>.json` or `.csv`.
    public static func isCountFileName(_ name: String) -> Bool {
        guard let underscore = name.lastIndex(of: "_") else { return false }
        let stationID = String(name[..<underscore])
        return isSafeStationID(stationID) && parseCountFileName(name, stationID: stationID) != nil
    }

    /// The files a day's count files would have.
    public func paths(stationID: String, date: LocalDate) -> (json: String, csv: String) {
        let base = path + "/" + stationID + "_" + date.description
        return (base + ".json", base + ".csv")
    }
}

/// `SHA256SUMS` in `sha256sum -c` format: `<64 hex digits><space><space><file name>` per line, sorted by name.
public struct ChecksumList: Sendable, Hashable {
    /// File name → lowercase hex digest.
    public var entries: [String: String] = [:]
    /// Lines that are not in that format (kept for `verify` to report).
    public var malformedLines: [String] = []

    public init() {}

    public init(parsing text: String) {
        for line in text.split(separator: "\n", omittingEmptySubsequences: true) {
            let bytes = Array(line.utf8)
            let hexDigits = Array("0123456789abcdef".utf8)
            // `sha256sum` writes "  name" (text mode) or " *name" (binary mode); both check the same.
            guard bytes.count > 66, bytes[0..<64].allSatisfy({ hexDigits.contains($0) }), bytes[64] == UInt8(ascii: " "),
                bytes[65] == UInt8(ascii: " ") || bytes[65] == UInt8(ascii: "*")
            else {
                malformedLines.append(String(line))
                continue
            }
            let name = String(decoding: bytes[66...], as: UTF8.self)
            guard !name.contains("/") else {
                malformedLines.append(String(line))
                continue
            }
            entries[name] = String(decoding: bytes[0..<64], as: UTF8.self)
        }
    }

    /// The file's text: one line per entry, sorted by name.
    public var text: String {
        entries.keys.sorted(by: { Array($0.utf8).lexicographicallyPrecedes(Array($1.utf8)) })
            .map { entries[$0]! + "  " + $0 + "\n" }.joined()
    }
}
