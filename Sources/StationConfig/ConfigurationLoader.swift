import HumanWords
import ParcelRules
import ScannerProtocols
internal import TOMLKit
import StationTime
#if canImport(Glibc)
import Glibc
#endif

extension StationConfiguration {
    /// Where the configuration is read from: `--config`, else `$STATION_AGENT_CONFIG`, else
    /// `/etc/station-agent/station-agent.toml`. A file named explicitly must exist; the default
    /// file may be absent, and then the built-in defaults apply.
    public static func load(explicitPath: String?, environment: [String: String] = ProcessEnvironment.current) throws(ConfigurationError) -> StationConfiguration {
        let named = explicitPath ?? environment["STATION_AGENT_CONFIG"].flatMap { $0.isEmpty ? nil : $0 }
        let path = named ?? defaultPath
        guard let text = try readFile(path, required: named != nil) else {
            return try defaults(environment: environment)
        }
        return try parse(text, source: path, environment: environment)
    }

    /// The built-in defaults: the host name as station ID, the system time zone, data in
    /// `$STATION_AGENT_DATA_DIR` or `/var/lib/station-agent`.
    public static func defaults(environment: [String: String] = ProcessEnvironment.current) throws(ConfigurationError) -> StationConfiguration {
        let dataDirectory = try environmentDataDirectory(environment) ?? defaultDataDirectory
        return StationConfiguration(stationID: sanitizedStationID(hostName()), dataDirectory: dataDirectory)
    }

    /// Parses TOML text (SPEC §3). Unknown keys, wrong types, bad values, duplicate device names
    /// and unsafe paths are errors.
    public static func parse(_ text: String, source: String?, environment: [String: String] = ProcessEnvironment.current) throws(ConfigurationError) -> StationConfiguration {
        let table: TOMLTable
        _ = try checkedText(Array(text.utf8), source: source)
        do {
            table = try TOMLTable(string: text)
        } catch let error as TOMLParseError {
            let line = error.source.begin.line
            let column = error.source.begin.column
            if let hint = quotingHint(text: text, line: line) {
                throw ConfigurationError(source: source, reason: Words("not valid TOML at line \(line), column \(column): \(error.description): \(hint)"))
            }
            throw ConfigurationError(source: source, reason: Words("not valid TOML at line \(line), column \(column): \(error.description)"))
        } catch {
            throw ConfigurationError(source: source, reason: Words("not valid TOML: \(error)"))
        }
        let reader = TableReader(table: table, path: "", source: source)
        try reader.rejectUnknown([
            "station_id", "station_name", "timezone", "data_dir", "outbox_dir", "duplicate_window_seconds",
            "stale_after_days", "count_refresh_seconds", "language", "devices", "upload", "voice", "photo_retention_days",
        ])
        var configuration = try defaults(environment: environment)
        configuration.source = source
        if let stationID = try reader.string("station_id") {
            guard isValidStationID(stationID) else {
                throw reader.error("station_id", quoted(stationID),
                    Words("must be 1-64 characters of A-Z, a-z, 0-9, '.', '_' or '-', starting with a letter or digit (it names the count files)"))
            }
            configuration.stationID = stationID
        }
        configuration.stationName = try reader.string("station_name") ?? ""
        if let zone = try reader.string("timezone") {
            if let problem = timeZoneProblem(zone) { throw reader.error("timezone", quoted(zone), problem) }
            configuration.timezone = zone
        }
        let base = source.map(directoryOf) ?? "."
        if let dataDirectory = try reader.string("data_dir") {
            configuration.dataDirectory = try checkedDirectory(dataDirectory, key: "data_dir", base: base, reader: reader)
        }
        configuration.outboxDirectory = configuration.dataDirectory + "/outbox"
        if let outbox = try reader.string("outbox_dir") {
            configuration.outboxDirectory = try checkedDirectory(outbox, key: "outbox_dir", base: base, reader: reader)
        }
        configuration.duplicateWindowSeconds = try reader.integer("duplicate_window_seconds", in: 0...86_400) ?? 5
        configuration.staleAfterDays = try reader.integer("stale_after_days", in: 1...365) ?? 3
        configuration.countRefreshSeconds = try reader.integer("count_refresh_seconds", in: 10...86_400) ?? 300
        // SPEC §3: how long release photos of camera devices are kept. Read and checked so that a configuration
        // written to the SPEC loads.
        configuration.photoRetentionDays = try reader.integer("photo_retention_days", in: 1...3650) ?? 90
        if let language = try reader.string("language") {
            guard let known = HumanLanguage(rawValue: language) else {
                throw reader.error("language", quoted(language), Words("must be \"zh\" (Chinese) or \"en\" (English); leave it out to follow the locale (LANG)"))
            }
            configuration.language = known
        }
        configuration.devices = try parseDevices(reader)
        configuration.upload = try parseUpload(reader, base: base)
        configuration.voice = try parseVoice(
            reader, base: base, language: HumanLanguage.resolve(config: configuration, environment: environment))
        return configuration
    }

    /// A hint for the most common mistake in a hand-edited file: a text value without quotes
    /// (`station_name = 小湖村`). Nil when the line does not look like that.
    static func quotingHint(text: String, line: Int) -> Words? {
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        guard line >= 1, line <= lines.count, let equals = lines[line - 1].firstIndex(of: "=") else { return nil }
        let key = lines[line - 1][..<equals].trimmingSpaces()
        let value = lines[line - 1][lines[line - 1].index(after: equals)...].trimmingSpaces()
        guard !key.isEmpty, let first = value.unicodeScalars.first,
            !"\"'[{+-".unicodeScalars.contains(first), !("0"..."9").contains(first),
            !["true", "false", "inf", "nan"].contains(value.lowercased())
        else { return nil }
        return Words("text values must be in double quotes: write \(key) = \(quoted(String(value)))")
    }

    private static func parseDevices(_ reader: TableReader) throws(ConfigurationError) -> [DeviceConfiguration] {
        guard let value = reader.table["devices"] else { return [] }
        guard let array = value.array else {
            throw reader.error("devices", value.debugDescription, Words("must be an array of tables: write each device as [[devices]]"))
        }
        var devices: [DeviceConfiguration] = []
        for index in 0..<array.count {
            let key = "devices[\(index + 1)]"
            guard let table = array[index].table else {
                throw reader.error(key, array[index].debugDescription, Words("must be a table ([[devices]] with keys below it)"))
            }
            let entry = TableReader(table: table, path: key + ".", source: reader.source)
            try entry.rejectUnknown(["name", "vendor_id", "product_id", "serial", "port", "protocol", "frame", "role", "feedback"])
            guard let name = try entry.string("name") else {
                throw entry.error("name", nil, Words("is missing: every device needs a unique name (used in logs, events and counts)"))
            }
            guard isValidDeviceName(name) else {
                throw entry.error("name", quoted(name),
                    Words("must be 1-64 characters of letters, digits, '.', '_' or '-', starting with a letter or digit, and not 'manual' (reserved for manual entries)"))
            }
            if devices.contains(where: { $0.name == name }) {
                throw entry.error("name", quoted(name), Words("is used by another device: names must be unique"))
            }
            var device = DeviceConfiguration(name: name)
            device.vendorID = try entry.hexID("vendor_id")
            device.productID = try entry.hexID("product_id")
            device.serial = try entry.string("serial")
            if let port = try entry.string("port") {
                guard isValidPort(port) else {
                    throw entry.error("port", quoted(port), Words("must be a USB port path like \"1-1.2\" (see `station-agent devices`)"))
                }
                device.port = port
            }
            if device.vendorID == nil && device.productID == nil && device.serial == nil && device.port == nil {
                throw entry.error("name", quoted(name),
                    Words("needs at least one of vendor_id, product_id, serial or port to match a device (otherwise it would match every device, keyboards included)"))
            }
            let protocolText = try entry.string("protocol")
            // A camera release device (SPEC §4): protocol "uvc", or "auto" with a `frame` (only a camera has one);
            // `frame` says what to stream, 640x480@15 unless given. An "auto" entry without a frame that turns out
            // to be a camera streams that default (DeviceMatcher).
            if protocolText == "uvc" || ((protocolText ?? "auto") == "auto" && entry.table["frame"] != nil) {
                device.camera = DeviceConfiguration.CameraFrame()
                if let text = try entry.string("frame") {
                    guard let frame = DeviceConfiguration.CameraFrame(parsing: text) else {
                        throw entry.error("frame", quoted(text),
                            Words("must be a size and frame rate like \"640x480@15\" (or a size alone, \"640x480\"); see `station-agent devices` for what the camera offers"))
                    }
                    device.camera = frame
                }
            } else {
                if let text = try entry.string("frame") {
                    throw entry.error("frame", quoted(text), Words("is for cameras only: set protocol = \"uvc\" (or \"auto\") or remove frame"))
                }
                if let text = protocolText, text != "auto" {
                    guard let scannerProtocol = ScannerProtocol(rawValue: text) else {
                        throw entry.error("protocol", quoted(text), Words("must be one of auto, hid-keyboard, hid-pos, cdc-acm, ftdi, uvc"))
                    }
                    device.scannerProtocol = scannerProtocol
                }
            }
            if let text = try entry.string("role") {
                guard let role = DeviceRole(rawValue: text) else {
                    throw entry.error("role", quoted(text), Words("must be one of inbound, outbound, switchable"))
                }
                device.role = role
            }
            if let feedbackValue = table["feedback"] {
                guard let feedbackTable = feedbackValue.table else {
                    throw entry.error("feedback", feedbackValue.debugDescription,
                        Words("must be a table like { ok = \"OK\\r\\n\", not_in_stock = \"NG\\r\\n\" }"))
                }
                let feedback = TableReader(table: feedbackTable, path: key + ".feedback.", source: reader.source)
                try feedback.rejectUnknown(["ok", "not_in_stock", "already_released", "rejected"])
                device.feedback = DeviceConfiguration.Feedback(
                    ok: try feedback.bytes("ok"), notInStock: try feedback.bytes("not_in_stock"),
                    alreadyReleased: try feedback.bytes("already_released"), rejected: try feedback.bytes("rejected"))
            }
            devices.append(device)
        }
        return devices
    }

    // MARK: Validation

    public static func isValidStationID(_ text: String) -> Bool {
        let bytes = Array(text.utf8)
        guard (1...64).contains(bytes.count), isAlphanumeric(bytes[0]) else { return false }
        return bytes.allSatisfy { isAlphanumeric($0) || $0 == UInt8(ascii: ".") || $0 == UInt8(ascii: "_") || $0 == UInt8(ascii: "-") }
    }

    static func isValidDeviceName(_ text: String) -> Bool {
        guard text != "manual", (1...64).contains(text.count), let first = text.first,
            first.isLetter || first.isNumber
        else { return false }
        return text.allSatisfy { $0.isLetter || $0.isNumber || $0 == "." || $0 == "_" || $0 == "-" }
    }

    static func isValidPort(_ text: String) -> Bool {
        let parts = text.split(separator: "-", omittingEmptySubsequences: false)
        guard parts.count == 2, !parts[0].isEmpty, parts[0].allSatisfy(\.isASCII), UInt8(parts[0]) != nil else { return false }
        let ports = parts[1].split(separator: ".", omittingEmptySubsequences: false)
        return !ports.isEmpty && ports.count <= 7 && ports.allSatisfy { UInt8($0).map { $0 > 0 } ?? false }
    }

    /// The host name made into a valid station ID (invalid characters become '-').
    public static func sanitizedStationID(_ host: String) -> String {
        var characters = host.unicodeScalars.map { scalar -> Character in
            let value = scalar.value
            let ok = value < 128 && (isAlphanumeric(UInt8(value)) || scalar == "." || scalar == "_" || scalar == "-")
            return ok ? Character(scalar) : "-"
        }
        while let first = characters.first, !(first.isASCII && (first.isLetter || first.isNumber)) { characters.removeFirst() }
        let text = String(characters.prefix(64))
        return text.isEmpty ? "station" : text
    }

    /// Why `zone` cannot be used, or nil. The station's business days depend on it, so it must
    /// be a zone of the box's own tz database.
    static func timeZoneProblem(_ zone: String) -> Words? {
        let safe = !zone.isEmpty && !zone.hasPrefix("/") && !zone.split(separator: "/").contains("..")
            && zone.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || "/_+-".contains($0)) }
        guard safe else { return Words("is not an IANA time zone name like \"Asia/Shanghai\"") }
        if access("/usr/share/zoneinfo", F_OK) != 0 {
            return Words("cannot be loaded: this box has no time zone database (/usr/share/zoneinfo): install the tzdata package")
        }
        // Loaded with the same code the agent uses for business days, so a zone that passes here works there.
        do {
            _ = try StationTimeZone(named: zone)
        } catch {
            return Words("is not a time zone in /usr/share/zoneinfo: use a name like \"Asia/Shanghai\" (see `timedatectl list-timezones`)")
        }
        return nil
    }

    private static func checkedDirectory(_ path: String, key: String, base: String, reader: TableReader) throws(ConfigurationError) -> String {
        guard !path.isEmpty, !path.contains(where: { $0.asciiValue.map { $0 < 32 } ?? false }) else {
            throw reader.error(key, quoted(path), Words("must be a directory path without control characters"))
        }
        let absolute = path.hasPrefix("/") ? path : base + "/" + path
        let normalized = normalize(absolute)
        if let problem = unsafeDirectoryProblem(normalized) { throw reader.error(key, quoted(path), problem) }
        return normalized
    }

    /// Why the agent may not keep its files in `normalized` (an absolute, normalised path), or nil. The path is
    /// checked as written and as it resolves (symbolic links followed through its longest existing prefix), so a
    /// link to /etc is refused like /etc itself.
    static func unsafeDirectoryProblem(_ normalized: String) -> Words? {
        let resolved = resolvedPath(normalized)
        for candidate in [normalized, resolved] {
            if isSystemDirectory(candidate) {
                let via = candidate == normalized ? Words.verbatim("") : Words(" (it leads to \(candidate))")
                return Words("is a system directory\(via): use a directory of the agent's own, like /var/lib/station-agent")
            }
            if isPrivateHomeDirectory(candidate) {
                let via = candidate == normalized ? Words.verbatim("") : Words(" (it leads to \(candidate))")
                return Words("is inside root's home or a hidden folder of a home directory\(via) (keys and settings live there): use a directory of the agent's own, like /var/lib/station-agent")
            }
        }
        return nil
    }

    /// Trees the agent's files never belong in (kernel interfaces, configuration, programs and libraries), and
    /// shared directories that are unsafe as a whole (anyone may create files in /tmp; /var, /home hold others').
    static func isSystemDirectory(_ normalized: String) -> Bool {
        let trees = ["/proc", "/sys", "/dev", "/etc", "/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32", "/boot"]
        let exact = ["/", "/var", "/var/lib", "/var/tmp", "/run", "/tmp", "/home", "/root", "/mnt", "/media", "/srv", "/opt"]
        return exact.contains(normalized) || trees.contains { normalized == $0 || normalized.hasPrefix($0 + "/") }
    }

    /// Anything under /root, and a home directory's hidden folders (`/home/pi/.ssh`, `/home/pi/.config/...`).
    static func isPrivateHomeDirectory(_ normalized: String) -> Bool {
        if normalized == "/root" || normalized.hasPrefix("/root/") { return true }
        let parts = normalized.split(separator: "/")
        return parts.count >= 3 && parts[0] == "home" && parts[1...].dropFirst().contains { $0.hasPrefix(".") }
            || parts.count >= 2 && parts[0] == "home" && parts[1].hasPrefix(".")
    }

    /// `path` with symbolic links resolved: the real path of its longest existing prefix, then the rest as written.
    static func resolvedPath(_ normalized: String) -> String {
        var parts = normalized.split(separator: "/").map(String.init)
        var rest: [String] = []
        while true {
            let prefix = "/" + parts.joined(separator: "/")
            if let real = realPath(prefix) {
                return normalize(real + (rest.isEmpty ? "" : "/" + rest.joined(separator: "/")))
            }
            guard let last = parts.popLast() else { return normalized }
            rest.insert(last, at: 0)
        }
    }

    private static func realPath(_ path: String) -> String? {
        guard let pointer = realpath(path, nil) else { return nil }
        defer { free(pointer) }
        return String(cString: pointer)
    }

    private static func environmentDataDirectory(_ environment: [String: String]) throws(ConfigurationError) -> String? {
        guard let value = environment["STATION_AGENT_DATA_DIR"], !value.isEmpty else { return nil }
        guard !value.contains(where: { $0.asciiValue.map { $0 < 32 } ?? false }) else {
            throw ConfigurationError(source: "environment", key: "STATION_AGENT_DATA_DIR", value: quoted(value),
                reason: Words("must be a directory path without control characters"))
        }
        let absolute = value.hasPrefix("/") ? value : currentDirectory() + "/" + value
        let normalized = normalize(absolute)
        if let problem = unsafeDirectoryProblem(normalized) {
            throw ConfigurationError(source: "environment", key: "STATION_AGENT_DATA_DIR", value: quoted(value), reason: problem)
        }
        return normalized
    }
}

/// Reads typed values from one TOML table, naming `path + key` in errors.
struct TableReader {
    let table: TOMLTable
    let path: String
    let source: String?

    func error(_ key: String, _ value: String?, _ reason: Words) -> ConfigurationError {
        ConfigurationError(source: source, key: path + key, value: value, reason: reason)
    }

    /// - Parameter echoValues: false where a mistyped key may hold a secret (`[upload]`): the value is not repeated.
    func rejectUnknown(_ known: Set<String>, echoValues: Bool = true) throws(ConfigurationError) {
        for key in table.keys.sorted() where !known.contains(key) {
            throw error(key, echoValues ? table[key]?.debugDescription : nil,
                Words("is not a known setting (known here: \(known.sorted().joined(separator: ", ")))"))
        }
    }

    func string(_ key: String) throws(ConfigurationError) -> String? {
        guard let value = table[key] else { return nil }
        guard let text = value.string else { throw error(key, value.debugDescription, Words("must be a string in double quotes")) }
        return text
    }

    func integer(_ key: String, in range: ClosedRange<Int>) throws(ConfigurationError) -> Int? {
        guard let value = table[key] else { return nil }
        guard let number = value.int else { throw error(key, value.debugDescription, Words("must be a whole number")) }
        guard range.contains(number) else {
            throw error(key, String(number), Words("must be from \(range.lowerBound) to \(range.upperBound)"))
        }
        return number
    }

    func hexID(_ key: String) throws(ConfigurationError) -> UInt16? {
        guard let text = try string(key) else { return nil }
        guard text.utf8.count == 4, text.utf8.allSatisfy({ $0 < 128 && Character(Unicode.Scalar($0)).isHexDigit }),
              let id = UInt16(text, radix: 16)
        else {
            throw error(key, quoted(text), Words("must be 4 hexadecimal digits in quotes, like \"0c2e\" (see `station-agent devices`)"))
        }
        return id
    }

    func bytes(_ key: String) throws(ConfigurationError) -> [UInt8]? {
        guard let text = try string(key) else { return nil }
        guard (1...64).contains(text.utf8.count) else { throw error(key, quoted(text), Words("must be 1 to 64 bytes")) }
        return Array(text.utf8)
    }
}

extension Substring {
    func trimmingSpaces() -> Substring {
        var result = self
        while let first = result.first, first == " " || first == "\t" || first == "\r" { result.removeFirst() }
        while let last = result.last, last == " " || last == "\t" || last == "\r" { result.removeLast() }
        return result
    }
}

/// The process environment as a dictionary (no Foundation `ProcessInfo` needed).
public enum ProcessEnvironment {
    public static var current: [String: String] {
        var result: [String: String] = [:]
        var pointer = environ
        while let entry = pointer.pointee {
            let text = String(cString: entry)
            if let equals = text.firstIndex(of: "=") {
                result[String(text[..<equals])] = String(text[text.index(after: equals)...])
            }
            pointer += 1
        }
        return result
    }
}

func quoted(_ text: String) -> String {
    var result = "\""
    for scalar in text.unicodeScalars {
        switch scalar {
        case "\"": result += "\\\""
        case "\\": result += "\\\\"
        case "\r": result += "\\r"
        case "\n": result += "\\n"
        case "\t": result += "\\t"
        default: result.unicodeScalars.append(scalar)
        }
    }
    return result + "\""
}

func isAlphanumeric(_ byte: UInt8) -> Bool {
    (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte) || (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(byte)
        || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte)
}

private func hostName() -> String {
    var buffer = [CChar](repeating: 0, count: 256)
    guard gethostname(&buffer, buffer.count - 1) == 0 else { return "station" }
    return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
}

private func currentDirectory() -> String {
    var buffer = [CChar](repeating: 0, count: 4096)
    guard getcwd(&buffer, buffer.count) != nil else { return "." }
    return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
}

private func directoryOf(_ path: String) -> String {
    let absolute = path.hasPrefix("/") ? path : currentDirectory() + "/" + path
    guard let slash = absolute.lastIndex(of: "/") else { return "." }
    return absolute[..<slash].isEmpty ? "/" : String(absolute[..<slash])
}

/// Removes `.` and empty components and resolves `..` lexically.
func normalize(_ path: String) -> String {
    var parts: [Substring] = []
    for component in path.split(separator: "/") {
        if component == "." { continue }
        if component == ".." {
            if !parts.isEmpty { parts.removeLast() }
            continue
        }
        parts.append(component)
    }
    return "/" + parts.joined(separator: "/")
}

/// The largest configuration file accepted (a real one is a few kilobytes). A bigger file is refused
/// rather than read in part: a cut-off file would silently lose the keys after the cut.
public let configurationSizeLimit = 1 << 20

/// The file's text, or nil when it does not exist and `required` is false.
///
/// A directory, a file over ``configurationSizeLimit``, bytes that are not UTF-8 and control
/// characters TOML does not allow (a NUL from a torn write above all: the TOML parser would stop
/// at it and drop every key after it) are errors, never a reason to fall back to the defaults.
func readFile(_ path: String, required: Bool) throws(ConfigurationError) -> String? {
    // O_NONBLOCK: opening a FIFO (or a device) must not wait for a writer; it is refused below as not a regular
    // file. A regular file reads as always.
    let descriptor = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK)
    guard descriptor >= 0 else {
        let code = errno
        if code == ENOENT && !required { return nil }
        let reason: Words = code == ENOENT ? Words("the configuration file does not exist")
            : code == EACCES ? Words("the configuration file cannot be read: permission denied")
            : Words("the configuration file cannot be read: \(String(cString: strerror(code)))")
        throw ConfigurationError(source: path, reason: reason)
    }
    defer { close(descriptor) }
    var info = stat()
    guard fstat(descriptor, &info) == 0 else {
        throw ConfigurationError(source: path, reason: Words("the configuration file cannot be examined: \(String(cString: strerror(errno)))"))
    }
    if info.st_mode & S_IFMT == S_IFDIR {
        throw ConfigurationError(
            source: path, reason: Words("this is a directory, not a configuration file: name the file itself, e.g. \(String(path.reversed().drop { $0 == "/" }.reversed()))/station-agent.toml"))
    }
    guard info.st_mode & S_IFMT == S_IFREG else {
        throw ConfigurationError(source: path, reason: Words("this is not a regular file: name the configuration file itself"))
    }
    var bytes: [UInt8] = []
    var chunk = [UInt8](repeating: 0, count: 65_536)
    while bytes.count <= configurationSizeLimit {
        let count = read(descriptor, &chunk, chunk.count)
        if count < 0 {
            if errno == EINTR { continue }
            throw ConfigurationError(source: path, reason: Words("the configuration file cannot be read: \(String(cString: strerror(errno)))"))
        }
        if count == 0 { break }
        bytes.append(contentsOf: chunk[0..<count])
    }
    if bytes.count > configurationSizeLimit {
        throw ConfigurationError(
            source: path, reason: Words("the file is larger than \(configurationSizeLimit / 1024 / 1024) MiB: this is not a configuration file (a real one is a few kilobytes)"))
    }
    return try checkedText(bytes, source: path)
}

/// The bytes as text, or an error naming the line and column of the first byte a TOML file cannot hold: a NUL
/// or another control character (tab, line feed and carriage return are fine), or bytes that are not UTF-8.
func checkedText(_ bytes: [UInt8], source: String?) throws(ConfigurationError) -> String {
    var line = 1
    var lineStart = 0
    for (index, byte) in bytes.enumerated() {
        if byte == UInt8(ascii: "\n") {
            line += 1
            lineStart = index + 1
        } else if byte < 0x20 && byte != UInt8(ascii: "\t") && byte != UInt8(ascii: "\r") || byte == 0x7F {
            let hex = String(byte, radix: 16)
            let what = byte == 0 ? Words("a NUL byte") : Words("the control character 0x\(hex.count < 2 ? "0" + hex : hex)")
            throw ConfigurationError(
                source: source,
                reason: Words("the file is damaged: \(what) at line \(line), byte \(index - lineStart + 1) (a torn write or a power cut?): restore the file from the example or a backup"))
        }
    }
    guard let text = String(validating: bytes, as: UTF8.self) else {
        throw ConfigurationError(source: source, reason: Words("the file is not UTF-8 text (saved in another encoding, or damaged): save it as UTF-8"))
    }
    return text
}
