// The public face of the county store client (SPEC §8). The uploader (CountUpload), `doctor` and `rollup`
// use only what is declared here. Bodies are filled in by the store-client work (CCurl shim, SigV4, S3, HTTP
// PUT); until then every call answers `.notBuilt`.

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
    /// Placeholder until the client is built.
    case notBuilt

    public var description: String { "\(self)" }

    /// Whether trying again later may succeed without a person changing anything.
    public var isRetryable: Bool {
        switch self {
        case .unreachable, .timedOut, .server, .badReply, .clockSkew: true
        case .tls, .credentials, .noBucket, .tooLarge, .storeFull, .settings, .notBuilt: false
        }
    }

    public var kindKey: String { "\(self)" }
}

/// A client of one store. One instance is used from one thread at a time (the uploader's); it keeps its
/// connection alive between requests and learns the store's clock when the store says the local one is off.
public final class StoreClient: @unchecked Sendable {
    public let target: StoreTarget

    public init(target: StoreTarget) throws(StoreError) {
        self.target = target
        throw .notBuilt
    }

    /// PUT `body` at `key` (relative to the target's prefix or base URL, e.g.
    /// `date=2026-12-03/station=x/x_2026-12-03.json`). S3: signed SigV4 with `x-amz-content-sha256` and
    /// `Content-MD5`, the ETag checked; on RequestTimeTooSkewed it signs again with the store's `Date` once.
    public func put(_ key: String, body: [UInt8], contentType: String) throws(StoreError) -> StoreReceipt {
        throw .notBuilt
    }

    /// GET the object at `key`.
    public func get(_ key: String) throws(StoreError) -> [UInt8] {
        throw .notBuilt
    }

    /// Every object under `prefix` (relative to the target's prefix), all pages (S3 ListObjectsV2).
    public func list(_ prefix: String) throws(StoreError) -> [StoreObject] {
        throw .notBuilt
    }

    /// One signed request that proves the settings (S3: the bucket answers a signed request; HTTP: the base
    /// URL accepts the credentials). For `doctor`.
    public func probe() throws(StoreError) -> StoreReceipt {
        throw .notBuilt
    }

    /// How far the local clock is behind the store's (store − local), in seconds, once learned from a
    /// RequestTimeTooSkewed answer; nil while the store has not complained.
    public var clockOffsetSeconds: Int64? { nil }
}
