// The public face of the county store client (SPEC §8). The uploader (CountUpload), `doctor` and `rollup`
// use only what is declared here and in StoreClient.swift (the client itself).

/// A secret (S3 secret key, bearer token, basic-auth password). It never prints: `description` is a mask.
public struct StoreSecret: Sendable, Equatable, CustomStringConvertible, CustomDebugStringConvertible {
    public let value: String
    public init(_ value: String) { self.value = value }
    public var description: String { "<secret>" }
    public var debugDescription: String { "<secret>" }
}

/// Where and how to reach the store; built from `[upload]` of the configuration.
public struct StoreTarget: Sendable, Equatable {
    public enum Kind: Sendable, Equatable {
        /// The S3 API. `prefix` has no leading or trailing slash ("" for the bucket's root); `endpoint` is a
        /// URL such as `https://oss.county.example` or `http://127.0.0.1:8080`.
        case s3(bucket: String, prefix: String, endpoint: String, region: String, accessKeyID: String,
                virtualHostStyle: Bool)
        /// A plain HTTP(S) PUT target (nginx WebDAV): `baseURL` ends in "/". Basic auth when `username` is
        /// given (the secret is the password), else `Authorization: Bearer <secret>`.
        case http(baseURL: String, username: String?)
    }

    public var kind: Kind
    public var secret: StoreSecret
    /// A PEM file of CAs to trust instead of the system's; verification is always on.
    public var caFile: String?
    public var connectTimeoutSeconds: Int
    /// A transfer slower than 1 byte/s for this long is cut (curl's low-speed limit).
    public var lowSpeedSeconds: Int
    public var totalTimeoutSeconds: Int

    public init(kind: Kind, secret: StoreSecret, caFile: String? = nil, connectTimeoutSeconds: Int = 15,
                lowSpeedSeconds: Int = 30, totalTimeoutSeconds: Int = 120) {
        self.kind = kind
        self.secret = secret
        self.caFile = caFile
        self.connectTimeoutSeconds = connectTimeoutSeconds
        self.lowSpeedSeconds = lowSpeedSeconds
        self.totalTimeoutSeconds = totalTimeoutSeconds
    }
}

/// What the store answered to a request that succeeded.
public struct StoreReceipt: Sendable, Equatable {
    /// The HTTP status (2xx).
    public var status: Int
    /// The ETag as the store sent it (S3: checked to be the MD5 of the body), quotes removed; nil if none.
    public var etag: String?
    /// The object's full location, without any secret (e.g. `s3://bucket/prefix/key` or the https URL).
    public var location: String
    /// One short line for the ledger and `upload --status`: e.g. `200 etag 9e107d9d372bb6826bd81d3542a419d6`.
    public var answer: String

    public init(status: Int, etag: String?, location: String, answer: String) {
        self.status = status
        self.etag = etag
        self.location = location
        self.answer = answer
    }
}

/// One object of a listing (S3 ListObjectsV2, for `rollup`).
public struct StoreObject: Sendable, Equatable {
    /// The key relative to the target's prefix (no leading slash).
    public var key: String
    public var size: Int64
    public var etag: String?

    public init(key: String, size: Int64, etag: String?) {
        self.key = key
        self.size = size
        self.etag = etag
    }
}

/// Why a request failed. Each case says, in `description`, what happened and what to do, and never carries
/// the secret. `kindKey` is the same for every failure of one kind (for "reported once, not on every retry").
public enum StoreError: Error, Sendable, Equatable, CustomStringConvertible {
    /// DNS, connection refused, reset, or the connection closed mid-answer: retry later.
    case unreachable(String)
    /// Connect or low-speed timeout.
    case timedOut(String)
    /// TLS handshake or certificate verification failed: check `ca_file` and the store's certificate.
    case tls(String)
    /// 401/403: wrong key, wrong secret, no permission (S3 code such as SignatureDoesNotMatch).
    case credentials(status: Int, code: String?, message: String)
    /// The store still refused the request's time after the client signed with the store's own clock.
    case clockSkew(message: String)
    /// The bucket (S3 NoSuchBucket) or the base URL does not exist.
    case noBucket(String)
    /// 413 or S3 EntityTooLarge.
    case tooLarge(String)
    /// 507, S3 QuotaExceeded or the like.
    case storeFull(String)
    /// Any other non-2xx answer (5xx, 400, ...).
    case server(status: Int, code: String?, message: String)
    /// A 2xx answer that does not prove the bytes arrived (ETag not the MD5 of the body, no ETag from S3).
    case badReply(String)
    /// The settings cannot work (bad URL, unreadable ca_file, libcurl could not start).
    case settings(String)

    /// What happened and what to do, in one line, for the log, `doctor` and `upload --status`.
    public var description: String {
        switch self {
        case .unreachable(let detail):
            "cannot reach the store (\(detail)): check the box's network and the store's address in [upload]; "
                + "the upload is tried again"
        case .timedOut(let detail):
            "the store did not answer in time (\(detail)): the network is slow or down, or the store is overloaded; "
                + "the upload is tried again"
        case .tls(let detail):
            "the secure connection to the store failed (\(detail)): check ca_file in [upload] (the CA that signed "
                + "the store's certificate) and the box's clock"
        case .credentials(let status, let code, let message):
            Self.credentialsDescription(status: status, code: code, message: message)
        case .clockSkew(let message):
            "the store refuses the request's time even when signed with the store's own clock (\(message)): set "
                + "the box's clock (NTP)"
        case .noBucket(let detail):
            "the bucket or folder does not exist (\(detail)): check url in [upload]; the county creates the bucket"
        case .tooLarge(let detail):
            "the store refuses a file this large (\(detail)): ask the county to raise the store's size limit"
        case .storeFull(let detail):
            "the store is full or over its quota (\(detail)): ask the county to free space or raise the quota"
        case .server(let status, let code, let message):
            if status >= 500 {
                "the store has a problem (\(Self.answer(status, code, message))): the upload is tried again"
            } else {
                "the store refuses the request (\(Self.answer(status, code, message))): check the [upload] "
                    + "settings (is this an S3 store?); the upload is tried again"
            }
        case .badReply(let detail):
            "the store's answer does not prove the file arrived intact (\(detail)): the file is sent again"
        case .settings(let detail):
            "the upload settings cannot work: \(detail)"
        }
    }

    /// Whether trying again later may succeed without a person changing anything.
    public var isRetryable: Bool {
        switch self {
        case .unreachable, .timedOut, .server, .badReply, .clockSkew: true
        case .tls, .credentials, .noBucket, .tooLarge, .storeFull, .settings: false
        }
    }

    /// The same for every failure of one kind, whatever the details (times, byte counts) of each attempt:
    /// `unreachable`, `timedOut`, `tls`, `credentials:<S3 code or HTTP status>`, `clockSkew`, `noBucket`,
    /// `tooLarge`, `storeFull`, `server:<status>[:<S3 code>]`, `badReply`, `settings:<what>`.
    public var kindKey: String {
        switch self {
        case .unreachable: "unreachable"
        case .timedOut: "timedOut"
        case .tls: "tls"
        case .credentials(let status, let code, _): "credentials:\(code ?? String(status))"
        case .clockSkew: "clockSkew"
        case .noBucket: "noBucket"
        case .tooLarge: "tooLarge"
        case .storeFull: "storeFull"
        case .server(let status, let code, _): code.map { "server:\(status):\($0)" } ?? "server:\(status)"
        case .badReply: "badReply"
        case .settings(let detail): "settings:\(detail)"
        }
    }

    private static func answer(_ status: Int, _ code: String?, _ message: String) -> String {
        var text = String(status)
        if let code { text += " " + code }
        if !message.isEmpty { text += ": " + message }
        return text
    }

    private static func credentialsDescription(status: Int, code: String?, message: String) -> String {
        let answer = answer(status, code, message)
        switch code {
        case "SignatureDoesNotMatch":
            return "the store refuses the secret (\(answer)): check access_key_id and the secret in secret_file"
        case "InvalidAccessKeyId":
            return "the store does not know the access key (\(answer)): check access_key_id in [upload]"
        case "AccessDenied":
            return "the store accepts the key but denies the request (\(answer)): ask the county to let this key "
                + "write (s3:PutObject) and list (s3:ListBucket) under the station's prefix"
        case nil:
            return "the store refuses the credentials (\(answer)): check username in [upload] and the token or "
                + "password in secret_file"
        default:
            return "the store refuses the credentials (\(answer)): check access_key_id and the secret in secret_file"
        }
    }
}
