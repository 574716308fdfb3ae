import Hashing
public import StationTime
public import StoreClient
import Synchronization
import SystemSupport

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// What one source gave the roll-up: every count file of the days asked for that could be read, and every file
/// that could not, by name.
public struct RollupInput: Sendable {
    public var files: [CountFileSummary] = []
    public var problems: [FileProblem] = []
    /// Count files looked at (read and counted, or refused).
    public var filesSeen: Int { files.count + problems.filter { $0.kind != "conflict" }.count }

    public init(files: [CountFileSummary] = [], problems: [FileProblem] = []) {
        self.files = files
        self.problems = problems
    }

    /// The files read, each counted or its problem, after the problems found before reading.
    init(outcomes: [Result<CountFileSummary, FileProblem>], problems: [FileProblem] = []) {
        self.problems = problems
        for outcome in outcomes {
            switch outcome {
            case .success(let file): files.append(file)
            case .failure(let problem): self.problems.append(problem)
            }
        }
    }

    /// One file's bytes as a source read them: checked against its `SHA256SUMS` line when there is one, then parsed.
    static func checked(_ bytes: [UInt8], source: String, sum: String?, expected: (station: String, date: LocalDate))
        -> Result<CountFileSummary, FileProblem>
    {
        if let sum {
            let actual = SHA256.hexDigest(bytes)
            if actual != sum {
                return .failure(FileProblem(
                    file: source, kind: "checksum", detail: "SHA-256 \(actual) differs from the line of SHA256SUMS (\(sum))"))
            }
        }
        return CountFileParser.parse(bytes, source: source, expected: expected)
    }
}

/// A failure that stops the roll-up: the source itself cannot be read.
public struct RollupSourceError: Error, Sendable, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}

/// The count files under a folder: the store's layout (`date=<D>/station=<id>/`), files side by side, or several
/// stations' outboxes copied into one place, at any depth up to eight folders. Folders `date=<D>` of other days
/// are not entered; symbolic links and other non-regular files are not followed; folders whose name starts with
/// a dot are skipped. A `SHA256SUMS` in a file's folder is checked against it when it lists the file.
public struct FolderSource: Sendable {
    public var path: String
    public var workers: Int

    public init(path: String, workers: Int = 2) {
        self.path = path
        self.workers = max(1, workers)
    }

    struct Candidate: Sendable {
        var path: String
        var name: String
        var expected: (station: String, date: LocalDate)
        /// The folder's SHA256SUMS, if it has one (read in parallel, once per folder).
        var sumsPath: String?
    }

    public func read(days: ClosedRange<LocalDate>) throws(RollupSourceError) -> RollupInput {
        var info = stat()
        guard stat(path, &info) == 0 else {
            throw RollupSourceError("\(path) cannot be read: \(SystemErrno(errno))")
        }
        guard info.st_mode & S_IFMT == S_IFDIR else { throw RollupSourceError("\(path) is not a folder") }
        var candidates: [Candidate] = []
        var problems: [FileProblem] = []
        walk(path, depth: 0, days: days, into: &candidates, problems: &problems)
        // Each folder's SHA256SUMS once (the store's layout has one per station and day), on the workers.
        let sumsPaths = Array(Set(candidates.compactMap(\.sumsPath)))
        let sumsByPath = Dictionary(uniqueKeysWithValues: zip(sumsPaths, parallelMap(sumsPaths, workers: workers) { path in
            guard case .success(let bytes) = SystemFile.read(path, limit: 64 << 20, options: .regularFileOnly) else { return [String: String]() }
            return ChecksumLines.parse(bytes)
        }))
        let outcomes = parallelMap(candidates, workers: workers) { candidate -> Result<CountFileSummary, FileProblem> in
            let bytes: [UInt8]
            switch SystemFile.read(candidate.path, limit: 16 << 20, options: .regularFileOnly) {
            case .success(let read): bytes = read
            case .failure(let error):
                return .failure(FileProblem(file: candidate.path, kind: "unreadable", detail: "cannot be read: \(error)"))
            }
            let sum = candidate.sumsPath.flatMap { sumsByPath[$0]?[candidate.name] }
            return RollupInput.checked(bytes, source: candidate.path, sum: sum, expected: candidate.expected)
        }
        return RollupInput(outcomes: outcomes, problems: problems)
    }

    private func walk(_ directory: String, depth: Int, days: ClosedRange<LocalDate>, into candidates: inout [Candidate],
                      problems: inout [FileProblem]) {
        guard depth <= 8, let handle = opendir(directory) else { return }
        var files: [String] = []
        var folders: [String] = []
        while let entry = readdir(handle) {
            let name = directoryEntryName(entry)
            if name.hasPrefix(".") { continue }
            var type = entry.pointee.d_type
            if type == UInt8(DT_UNKNOWN) {
                var info = stat()
                guard lstat(directory + "/" + name, &info) == 0 else { continue }
                type = info.st_mode & S_IFMT == S_IFDIR ? UInt8(DT_DIR) : info.st_mode & S_IFMT == S_IFREG ? UInt8(DT_REG) : 0
            }
            if type == UInt8(DT_DIR) {
                folders.append(name)
            } else if type == UInt8(DT_REG) {
                files.append(name)
            }
        }
        closedir(handle)
        var wanted: [(String, (station: String, date: LocalDate))] = []
        var hasSums = false
        for name in files {
            if name == "SHA256SUMS" { hasSums = true; continue }
            guard let parsed = CountFileParser.countFileName(name), days.contains(parsed.date) else { continue }
            wanted.append((name, parsed))
        }
        let sumsPath = hasSums ? directory + "/SHA256SUMS" : nil
        for (name, parsed) in wanted.sorted(by: { $0.0 < $1.0 }) {
            candidates.append(Candidate(path: directory + "/" + name, name: name, expected: parsed, sumsPath: sumsPath))
        }
        for folder in folders.sorted() {
            // The store's layout: a folder per day. Days not asked for cost nothing.
            if folder.hasPrefix("date="), let date = LocalDate(String(folder.dropFirst(5))), !days.contains(date) { continue }
            walk(directory + "/" + folder, depth: depth + 1, days: days, into: &candidates, problems: &problems)
        }
    }
}

/// The count files in the county store (SPEC §8): one ListObjectsV2 per day asked for (`date=<D>/`, all
/// pages), then parallel GETs of the JSON files, each worker on a connection of its own. The ETag of a listing
/// (the MD5 of a single-part object) is checked against the bytes received; a `SHA256SUMS` object beside the files
/// is checked like a folder's.
public struct StoreSource: Sendable {
    public var makeClient: @Sendable () throws(StoreError) -> StoreClient
    public var workers: Int
    /// Shown in problems and the report (`s3://bucket/prefix`).
    public var location: String

    public init(location: String, workers: Int = 8, makeClient: @escaping @Sendable () throws(StoreError) -> StoreClient) {
        self.location = location
        self.workers = max(1, workers)
        self.makeClient = makeClient
    }

    struct Candidate: Sendable {
        var key: String
        var etag: String?
        var expected: (station: String, date: LocalDate)
        var checksum: String?
    }

    public func read(days: ClosedRange<LocalDate>) throws(RollupSourceError) -> RollupInput {
        let lister: StoreClient
        do { lister = try makeClient() } catch { throw RollupSourceError("\(location): \(error)") }
        var candidates: [Candidate] = []
        var day = days.lowerBound
        while day <= days.upperBound {
            let objects: [StoreObject]
            do { objects = try lister.list("date=\(day)/") } catch {
                throw RollupSourceError("\(location) cannot be listed (date=\(day)/): \(error)")
            }
            var sums: [String: [String: String]] = [:]
            for object in objects where object.key.hasSuffix("/SHA256SUMS") {
                let folder = String(object.key.dropLast("SHA256SUMS".count))
                if let bytes = try? lister.get(object.key) {
                    sums[folder] = ChecksumLines.parse(bytes)
                }
            }
            for object in objects {
                let name = object.key.split(separator: "/").last.map(String.init) ?? object.key
                guard let parsed = CountFileParser.countFileName(name), parsed.date == day else { continue }
                let folder = String(object.key.dropLast(name.count))
                candidates.append(Candidate(key: object.key, etag: object.etag, expected: parsed, checksum: sums[folder]?[name]))
            }
            day = day.adding(days: 1)
        }
        let location = location
        let clients = Locked<[StoreClient]>([lister])
        let outcomes = parallelMap(candidates, workers: workers) { candidate -> Result<CountFileSummary, FileProblem> in
            let source = location + "/" + candidate.key
            let client: StoreClient
            if let spare = clients.withLock({ $0.popLast() }) {
                client = spare
            } else {
                do { client = try makeClient() } catch {
                    return .failure(FileProblem(file: source, kind: "unreadable", detail: "\(error)"))
                }
            }
            defer { clients.withLock { $0.append(client) } }
            let bytes: [UInt8]
            do { bytes = try client.get(candidate.key) } catch {
                return .failure(FileProblem(file: source, kind: "unreadable", detail: "\(error)"))
            }
            if let etag = candidate.etag, etag.utf8.count == 32, etag.utf8.allSatisfy(CountFileParser.isHexDigit),
                MD5.hexDigest(bytes) != etag
            {
                return .failure(FileProblem(file: source, kind: "checksum", detail: "the bytes received are not the object the store lists (MD5 ≠ ETag \(etag))"))
            }
            return RollupInput.checked(bytes, source: source, sum: candidate.checksum, expected: candidate.expected)
        }
        return RollupInput(outcomes: outcomes)
    }
}

/// `SHA256SUMS` lines (`sha256sum` format, text or binary mode): file name → hex digest.
enum ChecksumLines {
    /// `sha256sum`'s lines (`<64 hex>  <name>` or `<64 hex> *<name>`), LF or CRLF; other lines are ignored.
    static func parse(_ bytes: [UInt8]) -> [String: String] {
        var sums: [String: String] = [:]
        for var line in bytes.split(separator: 0x0A) {
            if line.last == 0x0D { line = line.dropLast() }
            let start = line.startIndex
            guard line.count > 66, line[start..<start + 64].allSatisfy(CountFileParser.isHexDigit), line[start + 64] == 0x20,
                line[start + 65] == 0x20 || line[start + 65] == 0x2A
            else { continue }
            sums[String(decoding: line[(start + 66)...], as: UTF8.self)] = String(decoding: line[start..<start + 64], as: UTF8.self)
        }
        return sums
    }
}

/// `body` over `items` on `workers` threads of their own, results in the items' order.
func parallelMap<Item: Sendable, Output: Sendable>(
    _ items: [Item], workers: Int, _ body: @escaping @Sendable (Item) -> Output
) -> [Output] {
    guard items.count > 1, workers > 1 else { return items.map(body) }
    let next = Locked(0)
    let results = Locked<[Int: Output]>([:])
    let work: @Sendable () -> Void = {
        var mine: [(Int, Output)] = []
        while true {
            let index = next.withLock { value in defer { value += 1 }; return value }
            guard index < items.count else { break }
            mine.append((index, body(items[index])))
        }
        results.withLock { all in for (index, output) in mine { all[index] = output } }
    }
    var threads: [pthread_t] = []
    for _ in 1..<min(workers, items.count) {
        if case .success(let thread) = startThread(detached: false, work) { threads.append(thread) }
    }
    work()
    for thread in threads { pthread_join(thread, nil) }
    return results.withLock { all in (0..<items.count).map { all[$0]! } }
}

/// A value shared between threads under a lock.
final class Locked<Value: Sendable>: Sendable {
    private let mutex: Mutex<Value>
    init(_ value: Value) { mutex = Mutex(value) }
    func withLock<T: Sendable>(_ body: (inout sending Value) -> sending T) -> T { mutex.withLock(body) }
}
