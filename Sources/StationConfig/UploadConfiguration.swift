import HumanWords
internal import TOMLKit

/// `[upload]` (SPEC §3, §8): where the count files go. Absent: nothing is uploaded.
public struct UploadConfiguration: Sendable, Equatable {
    public enum Destination: Sendable, Equatable {
        /// `s3://BUCKET/PREFIX`: the prefix without leading or trailing slash ("" for the bucket's root).
        case s3(bucket: String, prefix: String)
        /// `https://host/path/`: a plain HTTP PUT target; always ends in "/".
        case http(baseURL: String)
    }

    /// The `url` as written: it also names the target in the upload ledger (a new url sends everything again).
    public var url: String
    public var destination: Destination
    /// The S3 endpoint URL (S3 only): `https://…`; default `https://s3.<region>.amazonaws.com`.
    public var endpoint: String
    public var region: String
    public var accessKeyID: String?
    /// Absolute path of the file holding the S3 secret key, the bearer token or the basic-auth password.
    public var secretFile: String
    /// Basic auth (https:// only); nil: bearer token.
    public var username: String?
    public var caFile: String?
    /// The longest wait between retries, and how often the uploader looks at the outbox anyway.
    public var intervalSeconds: Int
    /// `addressing_style = "virtual"`: the bucket in the host name (bucket.endpoint); default "path".
    public var virtualHostStyle: Bool

    public init(
        url: String, destination: Destination, endpoint: String = "", region: String = "us-east-1",
        accessKeyID: String? = nil, secretFile: String, username: String? = nil, caFile: String? = nil,
        intervalSeconds: Int = 300, virtualHostStyle: Bool = false
    ) {
        self.url = url
        self.destination = destination
        self.endpoint = endpoint
        self.region = region
        self.accessKeyID = accessKeyID
        self.secretFile = secretFile
        self.username = username
        self.caFile = caFile
        self.intervalSeconds = intervalSeconds
        self.virtualHostStyle = virtualHostStyle
    }
}

extension StationConfiguration {
    static func parseUpload(_ reader: TableReader, base: String) throws(ConfigurationError) -> UploadConfiguration? {
        guard let value = reader.table["upload"] else { return nil }
        guard let table = value.table else {
            throw reader.error("upload", value.debugDescription, Words("must be a table: write [upload] with its keys below it"))
        }
        let entry = TableReader(table: table, path: "upload.", source: reader.source)
        try entry.rejectUnknown([
            "url", "endpoint", "region", "access_key_id", "secret_file", "username", "ca_file", "interval_seconds",
            "addressing_style",
        ], echoValues: false)
        guard let url = try entry.string("url") else {
            throw entry.error("url", nil, Words("is missing: write url = \"s3://BUCKET/PREFIX\" (or \"https://host/path/\" for a plain PUT server)"))
        }
        let destination = try parseDestination(url, entry)
        guard let secret = try entry.string("secret_file") else {
            throw entry.error("secret_file", nil,
                Words("is missing: name the file that holds the secret, e.g. secret_file = \"/etc/station-agent/upload.secret\" (mode 0600)"))
        }
        var upload = UploadConfiguration(
            url: url, destination: destination, secretFile: try filePath(secret, key: "secret_file", base: base, entry))
        upload.region = try entry.string("region") ?? "us-east-1"
        guard (1...64).contains(upload.region.utf8.count),
              upload.region.utf8.allSatisfy({ isAlphanumeric($0) || $0 == UInt8(ascii: "-") || $0 == UInt8(ascii: "_") })
        else {
            throw entry.error("region", quoted(upload.region), Words("must be a region name like \"us-east-1\" or \"cn-north-1\""))
        }
        upload.caFile = try entry.string("ca_file").map { (path) throws(ConfigurationError) in
            try filePath(path, key: "ca_file", base: base, entry)
        }
        upload.intervalSeconds = try entry.integer("interval_seconds", in: 10...86_400) ?? 300
        upload.username = try entry.string("username")
        upload.accessKeyID = try entry.string("access_key_id")
        if let style = try entry.string("addressing_style") {
            guard style == "path" || style == "virtual" else {
                throw entry.error("addressing_style", quoted(style), Words("must be \"path\" (bucket in the path, the default) or \"virtual\" (bucket in the host name)"))
            }
            upload.virtualHostStyle = style == "virtual"
        }
        switch destination {
        case .s3:
            guard let key = upload.accessKeyID else {
                throw entry.error("access_key_id", nil, Words("is missing: an s3:// url needs the access key the county gave this station"))
            }
            guard !key.isEmpty, key.utf8.count <= 128, !key.contains(where: { $0.asciiValue.map { $0 < 33 || $0 == 127 } ?? true }) else {
                throw entry.error("access_key_id", quoted(key), Words("must be the access key as the county gave it: 1-128 printable ASCII characters"))
            }
            if upload.username != nil {
                throw entry.error("username", quoted(upload.username!), Words("is for an https:// url only (basic auth); an s3:// url uses access_key_id"))
            }
            let endpoint = try entry.string("endpoint") ?? "https://s3.\(upload.region).amazonaws.com"
            upload.endpoint = try checkedEndpoint(endpoint, entry)
        case .http(let baseURL):
            for key in ["endpoint", "access_key_id", "addressing_style"] where table[key] != nil {
                throw entry.error(key, table[key]?.debugDescription, Words("is for an s3:// url only; an https:// url is the whole address"))
            }
            if let username = upload.username {
                guard !username.isEmpty, username.utf8.count <= 128, !username.contains(":"),
                      !username.contains(where: { $0.asciiValue.map { $0 < 32 || $0 == 127 } ?? false })
                else {
                    throw entry.error("username", quoted(username), Words("must be 1-128 characters without ':' or control characters"))
                }
            }
            upload.endpoint = baseURL
        }
        return upload
    }

    private static func parseDestination(_ url: String, _ entry: TableReader) throws(ConfigurationError) -> UploadConfiguration.Destination {
        if url.hasPrefix("s3://") {
            let rest = url.dropFirst(5)
            let bucket = String(rest.prefix { $0 != "/" })
            var prefix = String(rest.dropFirst(bucket.count))
            while prefix.hasPrefix("/") { prefix.removeFirst() }
            while prefix.hasSuffix("/") { prefix.removeLast() }
            guard isValidBucket(bucket) else {
                throw entry.error("url", quoted(url),
                    Words("has no valid bucket name: 3-63 characters of a-z, 0-9, '.' and '-', as in \"s3://county-counts/yuxian\""))
            }
            let segments = prefix.split(separator: "/", omittingEmptySubsequences: false)
            guard prefix.utf8.count <= 512,
                  prefix.isEmpty || segments.allSatisfy({ !$0.isEmpty && $0 != "." && $0 != ".." && $0.utf8.allSatisfy(isKeyByte) })
            else {
                throw entry.error("url", quoted(url),
                    Words("has a prefix the store cannot take: use letters, digits and - _ . = between single slashes, as in \"s3://county-counts/yuxian\""))
            }
            return .s3(bucket: bucket, prefix: prefix)
        }
        if url.hasPrefix("https://") || url.hasPrefix("http://") {
            let host = hostOf(url)
            guard !host.isEmpty, url.utf8.count <= 1024, !url.contains(where: { $0.asciiValue.map { $0 < 33 || $0 == 127 } ?? false }),
                  !url.contains("?"), !url.contains("#"), !url.contains("@")
            else {
                throw entry.error("url", quoted(url), Words("is not a plain https URL: write it as \"https://host/path/\" (no spaces, user, query or fragment)"))
            }
            if url.hasPrefix("http://") && !isLoopback(host) {
                throw entry.error("url", quoted(url), Words("would send the secret unencrypted: use https:// (plain http only to this box itself, 127.0.0.1)"))
            }
            return .http(baseURL: url.hasSuffix("/") ? url : url + "/")
        }
        throw entry.error("url", quoted(url), Words("must start with s3:// (an S3-compatible store) or https:// (a plain PUT server)"))
    }

    private static func checkedEndpoint(_ endpoint: String, _ entry: TableReader) throws(ConfigurationError) -> String {
        var text = endpoint
        while text.hasSuffix("/") { text.removeLast() }
        let host = hostOf(text)
        guard text.hasPrefix("https://") || text.hasPrefix("http://"), !host.isEmpty, text.utf8.count <= 512,
              !text.contains(where: { $0.asciiValue.map { $0 < 33 || $0 == 127 } ?? false }),
              !text.contains("?"), !text.contains("#"), !text.contains("@")
        else {
            throw entry.error("endpoint", quoted(endpoint), Words("must be the store's address, like \"https://oss.county.example\""))
        }
        return text
    }

    private static func filePath(_ path: String, key: String, base: String, _ entry: TableReader) throws(ConfigurationError) -> String {
        guard !path.isEmpty, !path.contains(where: { $0.asciiValue.map { $0 < 32 } ?? false }), !path.hasSuffix("/") else {
            throw entry.error(key, quoted(path), Words("must be the path of a file, without control characters"))
        }
        return normalize(path.hasPrefix("/") ? path : base + "/" + path)
    }

    static func isValidBucket(_ name: String) -> Bool {
        let bytes = Array(name.utf8)
        guard (3...63).contains(bytes.count), let first = bytes.first, let last = bytes.last,
              isLowerAlphanumeric(first), isLowerAlphanumeric(last)
        else { return false }
        return bytes.allSatisfy { isLowerAlphanumeric($0) || $0 == UInt8(ascii: ".") || $0 == UInt8(ascii: "-") }
            && !name.contains("..")
    }

    /// The host of an http(s) URL, without port or brackets.
    static func hostOf(_ url: String) -> String {
        let schemes = ["https://", "http://"]
        guard let scheme = schemes.first(where: { url.hasPrefix($0) }) else { return "" }
        let authority = url.dropFirst(scheme.count).prefix { $0 != "/" }
        if authority.hasPrefix("[") { return String(authority.dropFirst().prefix { $0 != "]" }) }
        return String(authority.prefix { $0 != ":" })
    }

    static func isLoopback(_ host: String) -> Bool {
        host == "localhost" || host == "::1" || host.hasPrefix("127.")
    }
}

private func isLowerAlphanumeric(_ byte: UInt8) -> Bool {
    (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte) || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte)
}

private func isKeyByte(_ byte: UInt8) -> Bool {
    isAlphanumeric(byte) || "-_.=".utf8.contains(byte)
}
