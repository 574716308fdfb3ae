import StationTestSupport
import StoreClient
import SystemSupport
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// The real servers `Tests/Servers/stores start DIR` runs (Swift with s3api, nginx, the fault server), found
/// through `STATION_AGENT_STORES=DIR/env`. `make test` starts them and sets that; it also sets
/// `STATION_AGENT_REQUIRE_DEVICE_TESTS=1`, and then a missing store fails the tests instead of skipping them.
struct Stores: Sendable {
    let values: [String: String]

    /// The servers of this run, or nil when none were started.
    static let shared: Stores? = {
        guard let path = getenv("STATION_AGENT_STORES").map({ String(cString: $0) }), !path.isEmpty,
            case .success(let bytes) = SystemFile.read(path)
        else { return nil }
        return Stores(values: parseEnv(String(decoding: bytes, as: UTF8.self)))
    }()

    /// Whether the server tests run: when the stores are there, or when they must be (then they fail).
    static var testsEnabled: Bool {
        shared != nil || getenv("STATION_AGENT_REQUIRE_DEVICE_TESTS") != nil
    }

    /// The stores; a test failure (not a skip) when they are missing.
    static func required() throws -> Stores {
        try #require(shared, "no stores: STATION_AGENT_STORES must name the env file of Tests/Servers/stores start DIR")
    }

    /// `KEY=VALUE` lines as `shlex.quote` writes them (a value in single quotes when it needs quoting).
    static func parseEnv(_ text: String) -> [String: String] {
        var values: [String: String] = [:]
        for line in text.split(separator: "\n") {
            guard let equals = line.firstIndex(of: "=") else { continue }
            var value = String(line[line.index(after: equals)...])
            if value.hasPrefix("'") && value.hasSuffix("'") && value.count >= 2 {
                value = String(value.dropFirst().dropLast()).replacing("'\"'\"'", with: "'")
            }
            values[String(line[..<equals])] = value
        }
        return values
    }

    subscript(_ key: String) -> String { values[key] ?? "" }

    func file(_ key: String) -> String {
        guard case .success(let bytes) = SystemFile.read(self[key]) else { return "" }
        return String(decoding: bytes, as: UTF8.self).trimmingCharacters()
    }

    var s3Secret: StoreSecret { StoreSecret(file("STORES_S3_SECRET_FILE")) }
    var token: StoreSecret { StoreSecret(file("STORES_TOKEN_FILE")) }
    var basicPassword: StoreSecret { StoreSecret(file("STORES_BASIC_PASSWORD_FILE")) }

    /// An S3 target on the Swift store.
    func s3(prefix: String, endpoint: String? = nil, bucket: String? = nil, secret: StoreSecret? = nil,
            virtualHost: Bool = false, caFile: String? = nil, lowSpeedSeconds: Int = 10) -> StoreTarget {
        StoreTarget(kind: .s3(bucket: bucket ?? self["STORES_S3_BUCKET"], prefix: prefix,
                              endpoint: endpoint ?? self["STORES_S3_ENDPOINT"], region: self["STORES_S3_REGION"],
                              accessKeyID: self["STORES_S3_ACCESS_KEY"], virtualHostStyle: virtualHost),
                    secret: secret ?? s3Secret, caFile: caFile, connectTimeoutSeconds: 5,
                    lowSpeedSeconds: lowSpeedSeconds, totalTimeoutSeconds: 60)
    }

    /// A plain PUT target on nginx (`base` is a URL ending in "/").
    func http(_ base: String, username: String? = nil, secret: StoreSecret? = nil, caFile: String? = nil,
              lowSpeedSeconds: Int = 10) -> StoreTarget {
        StoreTarget(kind: .http(baseURL: base, username: username), secret: secret ?? token, caFile: caFile,
                    connectTimeoutSeconds: 5, lowSpeedSeconds: lowSpeedSeconds, totalTimeoutSeconds: 60)
    }

    /// Runs `Tests/Servers/stores COMMAND DIR` (stop-s3, start-s3).
    func control(_ command: String) -> (status: Int32, output: String) {
        runProcess([self["STORES_SCRIPT"], command, self["STORES_DIR"]])
    }
}

extension String {
    func trimmingCharacters() -> String {
        var text = Substring(self)
        while let last = text.last, last == "\n" || last == " " || last == "\r" { text.removeLast() }
        return String(text)
    }
}

/// A prefix no other test (or earlier run against the same store) uses.
func uniquePrefix(_ name: String) -> String {
    var now = timespec()
    clock_gettime(CLOCK_REALTIME, &now)
    return "test-\(name)-\(now.tv_sec)-\(now.tv_nsec / 1000)-\(getpid())"
}

/// A count file's key (SPEC §8) and bytes like the agent's.
func countFile(station: String, day: String, size: Int = 2048) -> (key: String, body: [UInt8]) {
    let key = "date=\(day)/station=\(station)/\(station)_\(day).json"
    var body = Array("{\"station_id\":\"\(station)\",\"date\":\"\(day)\",\"inbound\":".utf8)
    var seed: UInt32 = 2_463_534_242 &+ UInt32(truncatingIfNeeded: day.hashValue)
    while body.count < size - 2 {
        seed ^= seed << 13
        seed ^= seed >> 17
        seed ^= seed << 5
        body.append(UInt8(ascii: "0") + UInt8(seed % 10))
    }
    body += Array("}\n".utf8)
    return (key, body)
}
