import CCurl

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// One HTTP request as the store clients build it: every header is given (curl adds only `Content-Length`).
struct HTTPRequest {
    enum Method: String {
        case get = "GET"
        case head = "HEAD"
        case put = "PUT"
    }

    var method: Method
    var url: String
    /// `Name: value` lines. A header given as `Name:` (nothing after the colon) removes one libcurl would add.
    var headers: [String]
    var body: [UInt8] = []
}

/// The final answer to a request (after any `100 Continue`).
struct HTTPResponse {
    var status: Int
    /// Header names in lowercase, values trimmed, in the order received.
    var headers: [(name: String, value: String)]
    var body: [UInt8]

    func header(_ name: String) -> String? {
        headers.first { $0.name == name }?.value
    }
}

/// Why a transfer did not produce an answer (libcurl's `CURLcode`, and its words for it).
struct TransportFailure: Error {
    var code: Int
    var text: String
    /// The request went out on a connection kept from an earlier request.
    var reusedConnection: Bool
    /// The answer was larger than the client accepts.
    var answerTooLarge: Bool
}

/// The limits of one transfer.
struct TransferLimits {
    var connectTimeoutSeconds: Int
    var lowSpeedSeconds: Int
    var totalTimeoutSeconds: Int
    var caFile: String?
    var maxAnswerBytes: Int
}

/// A libcurl easy handle kept for the connection it holds open (keep-alive between requests). Not thread-safe:
/// its owner (`StoreClient`) uses it under a lock.
final class CurlEasy {
    private let handle: UnsafeMutableRawPointer
    private let errorBuffer = UnsafeMutablePointer<CChar>.allocate(capacity: Int(CURL_ERROR_SIZE) + 1)

    /// libcurl's global state, set up once before the first handle (`curl_global_init`), never torn down: the
    /// process ends first.
    private static let globalSetUp: Bool = curl_global_init(Int(CURL_GLOBAL_DEFAULT)) == CURLE_OK

    /// A new handle (`curl_easy_init`); nil if libcurl cannot start.
    init?() {
        guard Self.globalSetUp, let handle = curl_easy_init() else {
            errorBuffer.deallocate()
            return nil
        }
        self.handle = handle
    }

    deinit {
        curl_easy_cleanup(handle)
        errorBuffer.deallocate()
    }

    /// Sends `request` and reads the answer (`curl_easy_perform`). `freshConnection` forbids reusing a kept
    /// connection (`CURLOPT_FRESH_CONNECT`), for the one retry after a kept connection turned out dead.
    func perform(_ request: HTTPRequest, limits: TransferLimits, freshConnection: Bool = false)
        -> Result<HTTPResponse, TransportFailure>
    {
        // Every option is set again for each request: curl_easy_reset keeps the live connections, the DNS and TLS
        // session caches, which is what the handle is kept for.
        curl_easy_reset(handle)
        errorBuffer[0] = 0
        var headerList: UnsafeMutablePointer<curl_slist>? = nil
        for header in request.headers { headerList = curl_slist_append(headerList, header) }
        defer { Self.freeWiped(headerList) }

        let sink = AnswerSink(limit: limits.maxAnswerBytes)
        let status: CURLcode = withExtendedLifetime(sink) {
            let sinkPointer = Unmanaged.passUnretained(sink).toOpaque()
            var setUp = [
                ccurl_setopt_string(handle, CURLOPT_URL, request.url),
                ccurl_setopt_string(handle, CURLOPT_PROTOCOLS_STR, "http,https"),
                ccurl_setopt_long(handle, CURLOPT_NOSIGNAL, 1),
                // The path goes out exactly as signed (no "/./" or "/../" folding).
                ccurl_setopt_long(handle, CURLOPT_PATH_AS_IS, 1),
                ccurl_setopt_long(handle, CURLOPT_HTTP_VERSION, Int(CURL_HTTP_VERSION_1_1)),
                ccurl_setopt_long(handle, CURLOPT_CONNECTTIMEOUT, limits.connectTimeoutSeconds),
                ccurl_setopt_long(handle, CURLOPT_LOW_SPEED_LIMIT, 1),
                ccurl_setopt_long(handle, CURLOPT_LOW_SPEED_TIME, limits.lowSpeedSeconds),
                ccurl_setopt_long(handle, CURLOPT_TIMEOUT, limits.totalTimeoutSeconds),
                ccurl_setopt_long(handle, CURLOPT_SSL_VERIFYPEER, 1),
                ccurl_setopt_long(handle, CURLOPT_SSL_VERIFYHOST, 2),
                ccurl_setopt_pointer(handle, CURLOPT_ERRORBUFFER, errorBuffer),
                ccurl_setopt_slist(handle, CURLOPT_HTTPHEADER, headerList),
                ccurl_setopt_write_function(handle, CURLOPT_WRITEFUNCTION, { data, size, count, user in
                    guard let user else { return 0 }
                    let sink = Unmanaged<AnswerSink>.fromOpaque(user).takeUnretainedValue()
                    return sink.appendBody(UnsafeRawBufferPointer(start: data, count: size * count))
                }),
                ccurl_setopt_pointer(handle, CURLOPT_WRITEDATA, sinkPointer),
                ccurl_setopt_write_function(handle, CURLOPT_HEADERFUNCTION, { data, size, count, user in
                    guard let user else { return 0 }
                    let sink = Unmanaged<AnswerSink>.fromOpaque(user).takeUnretainedValue()
                    return sink.appendHeader(UnsafeRawBufferPointer(start: data, count: size * count))
                }),
                ccurl_setopt_pointer(handle, CURLOPT_HEADERDATA, sinkPointer),
            ]
            if let caFile = limits.caFile { setUp.append(ccurl_setopt_string(handle, CURLOPT_CAINFO, caFile)) }
            if freshConnection { setUp.append(ccurl_setopt_long(handle, CURLOPT_FRESH_CONNECT, 1)) }
            switch request.method {
            case .get:
                setUp.append(ccurl_setopt_long(handle, CURLOPT_HTTPGET, 1))
            case .head:
                setUp.append(ccurl_setopt_long(handle, CURLOPT_NOBODY, 1))
            case .put:
                // A PUT from memory: libcurl can resend it by itself (no read callback to rewind).
                setUp.append(ccurl_setopt_string(handle, CURLOPT_CUSTOMREQUEST, "PUT"))
                setUp.append(ccurl_setopt_offset(handle, CURLOPT_POSTFIELDSIZE_LARGE, curl_off_t(request.body.count)))
            }
            if let failed = setUp.first(where: { $0 != CURLE_OK }) { return failed }
            if request.method == .put {
                return request.body.withUnsafeBytes { body in
                    // libcurl keeps this pointer, not a copy: it is valid until curl_easy_perform returns.
                    let pointer = UnsafeMutableRawPointer(mutating: body.baseAddress ?? UnsafeRawPointer(sinkPointer))
                    let set = ccurl_setopt_pointer(handle, CURLOPT_POSTFIELDS, pointer)
                    guard set == CURLE_OK else { return set }
                    return curl_easy_perform(handle)
                }
            }
            return curl_easy_perform(handle)
        }
        // Nothing of the request may outlive it in libcurl's options: the header list is freed above.
        _ = ccurl_setopt_slist(handle, CURLOPT_HTTPHEADER, nil)

        var connects = 0
        _ = ccurl_getinfo_long(handle, CURLINFO_NUM_CONNECTS, &connects)
        guard status == CURLE_OK else {
            var text = String(cString: errorBuffer)
            if text.isEmpty { text = String(cString: curl_easy_strerror(status)) }
            return .failure(TransportFailure(code: Int(status.rawValue), text: text, reusedConnection: connects == 0,
                                             answerTooLarge: sink.overflowed))
        }
        var code = 0
        _ = ccurl_getinfo_long(handle, CURLINFO_RESPONSE_CODE, &code)
        return .success(HTTPResponse(status: code, headers: sink.headers, body: sink.body))
    }

    /// Frees a header list after overwriting its strings: one of them may carry a token or a basic-auth password.
    private static func freeWiped(_ list: UnsafeMutablePointer<curl_slist>?) {
        var entry = list
        while let current = entry {
            if let data = current.pointee.data { memset(data, 0, strlen(data)) }
            entry = current.pointee.next
        }
        curl_slist_free_all(list)
    }
}

/// Collects one answer: the headers of the final response and the body, up to a limit.
private final class AnswerSink {
    let limit: Int
    var body: [UInt8] = []
    var headers: [(name: String, value: String)] = []
    var overflowed = false

    init(limit: Int) { self.limit = limit }

    func appendBody(_ bytes: UnsafeRawBufferPointer) -> Int {
        guard body.count + bytes.count <= limit else {
            overflowed = true
            return 0  // libcurl stops the transfer (CURLE_WRITE_ERROR)
        }
        body.append(contentsOf: bytes)
        return bytes.count
    }

    func appendHeader(_ bytes: UnsafeRawBufferPointer) -> Int {
        let line = String(decoding: bytes, as: UTF8.self)
        if line.hasPrefix("HTTP/") {
            headers.removeAll()  // a new response (after 100 Continue, or a proxy's CONNECT answer)
            return bytes.count
        }
        guard let colon = line.firstIndex(of: ":") else { return bytes.count }
        let name = line[..<colon].lowercased()
        let value = line[line.index(after: colon)...].trimmingSpaces()
        guard headers.count < 200 else { return bytes.count }
        headers.append((name, value))
        return bytes.count
    }
}

extension StringProtocol {
    /// Without leading and trailing spaces, tabs and line ends (by scalar: "\r\n" is one Character).
    func trimmingSpaces() -> String {
        let scalars = Array(unicodeScalars)
        func blank(_ scalar: Unicode.Scalar) -> Bool { scalar == " " || scalar == "\t" || scalar == "\r" || scalar == "\n" }
        guard let first = scalars.firstIndex(where: { !blank($0) }),
            let last = scalars.lastIndex(where: { !blank($0) })
        else { return "" }
        var view = String.UnicodeScalarView()
        view.append(contentsOf: scalars[first...last])
        return String(view)
    }
}
