import CCurl
import Hashing
import Synchronization

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// A client of one store. One instance is used from one thread at a time (the uploader's); it keeps its
/// connection alive between requests and learns the store's clock when the store says the local one is off.
///
/// Every request goes through one libcurl easy handle (under a lock): TLS verification always on (`ca_file` or
/// the system's CAs), http and https only, proxies from the environment, connect and low-speed timeouts, no
/// `Expect: 100-continue`. A request that fails on a kept connection the server had already closed (Swift closes
/// it after answering a PUT early, without saying so) is sent once more on a new connection.
public final class StoreClient: Sendable {
    public let target: StoreTarget
    public let options: Options

    /// What a client can be told besides its target; the defaults are what the agent uses.
    public struct Options: Sendable, Equatable {
        /// Pretends the local clock is this far ahead (negative: behind) when signing. For tests of the clock-skew
        /// recovery against a real store; the agent leaves it 0.
        public var clockShiftSeconds: Int64
        /// Keys per ListObjectsV2 page (S3's maximum is 1000); tests make it small to see pagination.
        public var listPageSize: Int
        /// The largest answer body accepted (a GET of an object, a listing page).
        public var maxAnswerBytes: Int

        public init(clockShiftSeconds: Int64 = 0, listPageSize: Int = 1000, maxAnswerBytes: Int = 32 << 20) {
            self.clockShiftSeconds = clockShiftSeconds
            self.listPageSize = listPageSize
            self.maxAnswerBytes = maxAnswerBytes
        }
    }

    private let plan: Plan
    private let limits: TransferLimits
    private let connection: Mutex<CurlEasy>
    /// Store − local clock in seconds, learned from a RequestTimeTooSkewed answer; `Int64.min` while unknown.
    /// Atomic, not under the connection's lock: `upload --status` may ask while a request is under way.
    private let learnedOffset = Atomic<Int64>(Int64.min)
    private let freshConnectionRetries = Atomic<Int>(0)

    /// A client for `target`.
    /// - Throws: `.settings` when the target cannot work (a URL that is not http(s), an empty bucket, a CA file
    ///   that cannot be read) or libcurl cannot start.
    public convenience init(target: StoreTarget) throws(StoreError) {
        try self.init(target: target, options: Options())
    }

    /// A client for `target` with `options` (tests: a shifted signing clock, small listing pages).
    public init(target: StoreTarget, options: Options) throws(StoreError) {
        self.target = target
        self.options = options
        self.plan = try Plan(target)
        if let caFile = target.caFile, access(caFile, R_OK) != 0 {
            throw .settings("ca_file \(caFile) cannot be read (\(String(cString: strerror(errno)))): check the path "
                + "and that the service user may read it")
        }
        guard target.connectTimeoutSeconds > 0, target.lowSpeedSeconds > 0, target.totalTimeoutSeconds > 0 else {
            throw .settings("the store's timeouts must be positive")
        }
        self.limits = TransferLimits(
            connectTimeoutSeconds: target.connectTimeoutSeconds, lowSpeedSeconds: target.lowSpeedSeconds,
            totalTimeoutSeconds: target.totalTimeoutSeconds, caFile: target.caFile,
            maxAnswerBytes: options.maxAnswerBytes)
        guard let easy = CurlEasy() else { throw .settings("libcurl could not start (curl_easy_init failed)") }
        self.connection = Mutex(easy)
    }

    /// PUT `body` at `key` (relative to the target's prefix or base URL, e.g.
    /// `date=2026-12-03/station=x/x_2026-12-03.json`). S3: signed SigV4 with `x-amz-content-sha256` and
    /// `Content-MD5`, the ETag checked; on RequestTimeTooSkewed it signs again with the store's `Date` once.
    public func put(_ key: String, body: [UInt8], contentType: String) throws(StoreError) -> StoreReceipt {
        if let problem = keyProblem(key) { throw .settings(problem) }
        let md5 = MD5.hash(body)
        let md5Hex = Hex.encode(md5)
        let contentHeaders = [("Content-MD5", Base64.encode(md5)), ("Content-Type", contentType)]
        switch plan {
        case .s3(let s3):
            let address = s3.object(key)
            let response = try s3Send(s3, .put, address, query: [], headers: contentHeaders, body: body,
                                      what: address.location)
            guard let sent = response.header("etag") else {
                throw .badReply("\(response.status) without an ETag for \(address.location)")
            }
            let etag = S3XML.unquoteETag(sent)
            guard etag == md5Hex else {
                throw .badReply("\(response.status) with ETag \(clean(etag)), not the MD5 \(md5Hex) of the "
                    + "\(body.count) bytes sent to \(address.location)")
            }
            return StoreReceipt(status: response.status, etag: etag, location: address.location,
                                answer: "\(response.status) etag \(etag)")
        case .http(let http):
            let url = http.url(key)
            let response = try httpSend(http, .put, url: url, headers: contentHeaders, body: body)
            let etag = response.header("etag").map { clean(S3XML.unquoteETag($0)) }
            return StoreReceipt(status: response.status, etag: etag, location: url, answer: "\(response.status)")
        }
    }

    /// GET the object at `key`.
    public func get(_ key: String) throws(StoreError) -> [UInt8] {
        if let problem = keyProblem(key) { throw .settings(problem) }
        switch plan {
        case .s3(let s3):
            let address = s3.object(key)
            return try s3Send(s3, .get, address, query: [], headers: [], body: [], what: address.location).body
        case .http(let http):
            return try httpSend(http, .get, url: http.url(key), headers: [], body: []).body
        }
    }

    /// Every object under `prefix` (relative to the target's prefix), all pages (S3 ListObjectsV2).
    public func list(_ prefix: String) throws(StoreError) -> [StoreObject] {
        guard case .s3(let s3) = plan else { throw .settings("listing needs an S3 store") }
        let fullPrefix = s3.prefix.isEmpty ? prefix : s3.prefix + "/" + prefix
        let strip = s3.prefix.isEmpty ? "" : s3.prefix + "/"
        let address = s3.bucketAddress()
        var objects: [StoreObject] = []
        var token: String?
        for _ in 0..<1_000_000 {
            var query = [("list-type", "2"), ("max-keys", String(max(1, min(1000, options.listPageSize)))),
                         ("prefix", fullPrefix)]
            if let token { query.append(("continuation-token", token)) }
            let response = try s3Send(s3, .get, address, query: query, headers: [], body: [], what: address.location)
            guard let page = S3XML.parseListPage(response.body) else {
                throw .badReply("\(response.status) with a listing that is not a ListBucketResult, \(address.location)")
            }
            for entry in page.entries where entry.key.hasPrefix(strip) {
                objects.append(StoreObject(key: String(entry.key.dropFirst(strip.count)), size: entry.size,
                                           etag: entry.etag))
            }
            guard page.isTruncated else { return objects }
            guard let next = page.nextContinuationToken, !next.isEmpty, next != token else {
                throw .badReply("a truncated listing without a new continuation token, \(address.location)")
            }
            token = next
        }
        throw .badReply("a listing of more than a million pages, \(address.location)")
    }

    /// One signed request that proves the settings (S3: the bucket answers a signed request; HTTP: the base
    /// URL accepts the credentials). For `doctor`.
    ///
    /// S3: a ListObjectsV2 of one key under the prefix, so the key needs `s3:ListBucket` (AccessDenied says so).
    /// HTTP: a HEAD of the base URL with the credentials; 401 means they are refused. A 403 is asked again
    /// without credentials: when that is refused with 401, the credentials were accepted and the 403 is only the
    /// folder's listing being forbidden (nginx without autoindex).
    public func probe() throws(StoreError) -> StoreReceipt {
        switch plan {
        case .s3(let s3):
            let address = s3.bucketAddress()
            let prefix = s3.prefix.isEmpty ? "" : s3.prefix + "/"
            let response = try s3Send(s3, .get, address, query: [("list-type", "2"), ("max-keys", "1"),
                                                                  ("prefix", prefix)],
                                      headers: [], body: [], what: address.location)
            return StoreReceipt(status: response.status, etag: nil, location: s3.location(prefix),
                                answer: "\(response.status) the bucket answers a signed request")
        case .http(let http):
            let url = http.baseURL
            let answer = try transfer(HTTPRequest(method: .head, url: url, headers: http.headers([])), what: url)
            switch answer.status {
            case 401:
                throw FailureMapping.http(status: 401, message: "", what: url)
            case 403:
                let anonymous = try transfer(
                    HTTPRequest(method: .head, url: url, headers: http.headers([], withCredentials: false)), what: url)
                guard anonymous.status == 401 else {
                    throw FailureMapping.http(status: 403, message: "", what: url)
                }
                return StoreReceipt(status: 403, etag: nil, location: url,
                                    answer: "403 for the folder itself, 401 without credentials: credentials accepted")
            case 500...:
                throw FailureMapping.http(status: answer.status, message: "", what: url)
            default:
                return StoreReceipt(status: answer.status, etag: nil, location: url, answer: "\(answer.status)")
            }
        }
    }

    /// How far the local clock is behind the store's (store − local), in seconds, once learned from a
    /// RequestTimeTooSkewed answer; nil while the store has not complained.
    public var clockOffsetSeconds: Int64? {
        let offset = learnedOffset.load(ordering: .relaxed)
        return offset == Int64.min ? nil : offset
    }

    /// How many requests were sent again on a new connection because a kept one was dead (for tests).
    package var retriesOnNewConnection: Int { freshConnectionRetries.load(ordering: .relaxed) }

    // MARK: Requests

    /// The local clock as this client sees it (with the test shift), in seconds since 1970.
    private func localNow() -> Int64 {
        Int64(time(nil)) + options.clockShiftSeconds
    }

    /// Sends a signed S3 request and returns the 2xx answer. On RequestTimeTooSkewed it learns the store's time
    /// from the answer's `Date` and signs once more with it; every later request signs with that offset too.
    private func s3Send(_ s3: S3Plan, _ method: HTTPRequest.Method, _ address: S3Address, query: [(String, String)],
                        headers: [(String, String)], body: [UInt8], what: String) throws(StoreError) -> HTTPResponse
    {
        let payloadHash = SHA256.hexDigest(body)
        let queryText = SigV4Signer.canonicalQuery(query)
        let url = address.url + (query.isEmpty ? "" : "?" + queryText)
        var signedAgainWithStoreTime = false
        while true {
            let offset = clockOffsetSeconds ?? 0
            let signed = s3.signer.sign(method: method.rawValue, canonicalURI: address.canonicalURI, query: query,
                                        headers: headers + [("Host", address.host)], payloadSHA256: payloadHash,
                                        time: localNow() + offset)
            let lines = (headers + [("Host", address.host)] + signed).map { "\($0.0): \($0.1)" }
                + ["Expect:", "User-Agent: station-agent"]
            let response = try transfer(HTTPRequest(method: method, url: url, headers: lines, body: body), what: what)
            if (200..<300).contains(response.status) { return response }
            let error = S3XML.parseError(response.body)
            if error?.code == "RequestTimeTooSkewed" && !signedAgainWithStoreTime {
                guard let date = response.header("date"), let storeTime = Self.parseHTTPDate(date) else {
                    throw .clockSkew(message: "the store says the box's clock is off but sends no usable Date header")
                }
                learnedOffset.store(storeTime - localNow(), ordering: .relaxed)
                signedAgainWithStoreTime = true
                continue
            }
            throw FailureMapping.s3(status: response.status, code: error?.code.map(clean),
                                    message: error?.message.map(clean), what: what)
        }
    }

    /// Sends a plain HTTP request with the target's credentials and returns the 2xx answer.
    private func httpSend(_ http: HTTPPlan, _ method: HTTPRequest.Method, url: String, headers: [(String, String)],
                          body: [UInt8]) throws(StoreError) -> HTTPResponse
    {
        let response = try transfer(HTTPRequest(method: method, url: url, headers: http.headers(headers), body: body),
                                    what: url)
        guard (200..<300).contains(response.status) else {
            throw FailureMapping.http(status: response.status, message: Self.reason(response, secret: target.secret),
                                      what: url)
        }
        return response
    }

    /// One transfer, with the one retry on a new connection when a kept one turns out to be dead.
    private func transfer(_ request: HTTPRequest, what: String) throws(StoreError) -> HTTPResponse {
        let limits = self.limits
        let result: Result<HTTPResponse, TransportFailure> = connection.withLock { easy in
            let first = easy.perform(request, limits: limits)
            // 52 nothing received, 55 send failed, 56 receive failed (reset): on a kept connection these mean the
            // server had closed it; a new one is tried once. PUT and GET are idempotent.
            if case .failure(let failure) = first, failure.reusedConnection, [52, 55, 56].contains(failure.code) {
                freshConnectionRetries.add(1, ordering: .relaxed)
                return easy.perform(request, limits: limits, freshConnection: true)
            }
            return first
        }
        switch result {
        case .success(let response):
            return response
        case .failure(let failure):
            throw FailureMapping.transport(code: failure.code, text: clean(failure.text),
                                           answerTooLarge: failure.answerTooLarge,
                                           maxAnswerBytes: options.maxAnswerBytes, what: what)
        }
    }

    private func clean(_ text: String) -> String { FailureMapping.clean(text, secret: target.secret) }

    /// A short reason from a non-S3 error page: the `<title>` nginx puts in it, else nothing.
    private static func reason(_ response: HTTPResponse, secret: StoreSecret) -> String {
        guard let title = S3XML.firstElement("title", in: response.body[...]) else { return "" }
        var text = S3XML.decodeText(title)
        if let space = text.firstIndex(of: " "), Int(text[..<space]) == response.status {
            text = String(text[text.index(after: space)...])  // "503 Service Temporarily Unavailable"
        }
        return FailureMapping.clean(text, secret: secret)
    }

    /// Seconds since 1970 of an HTTP `Date` header (RFC 9110's IMF-fixdate and the obsolete forms, through
    /// libcurl's `curl_getdate`).
    package static func parseHTTPDate(_ text: String) -> Int64? {
        let value = curl_getdate(text, nil)
        return value == -1 ? nil : Int64(value)
    }
}

// MARK: What each kind of target turns into

private enum Plan: Sendable {
    case s3(S3Plan)
    case http(HTTPPlan)

    init(_ target: StoreTarget) throws(StoreError) {
        switch target.kind {
        case .s3(let bucket, let prefix, let endpoint, let region, let accessKeyID, let virtualHostStyle):
            let parsed: Endpoint
            switch Endpoint.parse(endpoint) {
            case .success(let value): parsed = value
            case .failure(let problem):
                throw .settings("endpoint \"\(endpoint)\" cannot be used: \(problem.reason)")
            }
            guard !bucket.isEmpty, bucket.utf8.allSatisfy({ isUnreserved($0) }) else {
                throw .settings("the bucket name \"\(bucket)\" is empty or has characters a bucket name cannot have")
            }
            if virtualHostStyle {
                guard !parsed.host.hasPrefix("["), bucket.allSatisfy({ $0 != "." && $0 != "_" && $0 != "~" }) else {
                    throw .settings("virtual-host style needs a DNS host name and a bucket name without . _ ~")
                }
            }
            guard prefix.isEmpty || keyProblem(prefix) == nil else {
                throw .settings("the prefix \"\(prefix)\" cannot be used: no leading or trailing /, no empty, . or .. part")
            }
            guard !region.isEmpty, !accessKeyID.isEmpty else {
                throw .settings("region and access_key_id must not be empty")
            }
            guard !target.secret.value.isEmpty else { throw .settings("the secret in secret_file is empty") }
            self = .s3(S3Plan(endpoint: parsed, bucket: bucket, prefix: prefix, virtualHostStyle: virtualHostStyle,
                              signer: SigV4Signer(accessKeyID: accessKeyID, secret: target.secret, region: region)))
        case .http(let baseURL, let username):
            switch Endpoint.parse(baseURL) {
            case .success: break
            case .failure(let problem): throw .settings("url \"\(baseURL)\" cannot be used: \(problem.reason)")
            }
            guard baseURL.hasSuffix("/") else { throw .settings("url \"\(baseURL)\" must end with /") }
            if let username, username.isEmpty || username.contains(":") {
                throw .settings("username must not be empty nor contain a colon (basic auth cannot carry it)")
            }
            guard !target.secret.value.isEmpty else { throw .settings("the secret in secret_file is empty") }
            self = .http(HTTPPlan(baseURL: baseURL, username: username, secret: target.secret))
        }
    }
}

/// Where one S3 request goes: the URL without its query, the path as signed, the `Host`, and a name for messages.
private struct S3Address {
    var url: String
    var canonicalURI: String
    var host: String
    var location: String
}

private struct S3Plan: Sendable {
    var endpoint: Endpoint
    var bucket: String
    var prefix: String
    var virtualHostStyle: Bool
    var signer: SigV4Signer

    /// `s3://bucket/prefix/key`.
    func location(_ key: String) -> String { "s3://\(bucket)/\(key)" }

    func object(_ key: String) -> S3Address {
        let fullKey = prefix.isEmpty ? key : prefix + "/" + key
        return address(path: "/" + uriEncode(fullKey, keepSlash: true), location: location(fullKey))
    }

    func bucketAddress() -> S3Address {
        address(path: virtualHostStyle ? "/" : "", location: "the bucket \"\(bucket)\" at \(endpoint.origin)")
    }

    private func address(path: String, location: String) -> S3Address {
        if virtualHostStyle {
            let host = "\(bucket).\(endpoint.authority)"
            let uri = endpoint.path + path
            return S3Address(url: "\(endpoint.scheme)://\(host)\(uri)", canonicalURI: uri, host: host,
                             location: location)
        }
        let uri = endpoint.path + "/" + bucket + path
        return S3Address(url: endpoint.origin + uri, canonicalURI: uri, host: endpoint.authority, location: location)
    }
}

private struct HTTPPlan: Sendable {
    var baseURL: String
    var username: String?
    var secret: StoreSecret

    func url(_ key: String) -> String { baseURL + uriEncode(key, keepSlash: true) }

    /// `headers` as lines, with the credentials (basic auth when there is a username, else a bearer token).
    func headers(_ headers: [(String, String)], withCredentials: Bool = true) -> [String] {
        var lines = headers.map { "\($0.0): \($0.1)" } + ["Expect:", "User-Agent: station-agent"]
        if withCredentials {
            // Built here rather than with CURLOPT_USERNAME/PASSWORD: the header list is wiped after each request,
            // libcurl's own copies would only be freed.
            if let username {
                lines.append("Authorization: Basic " + Base64.encode(Array("\(username):\(secret.value)".utf8)))
            } else {
                lines.append("Authorization: Bearer " + secret.value)
            }
        }
        return lines
    }
}
