/// From what the store or libcurl said to a ``StoreError``: pure functions, so the whole table is unit-tested.
package enum FailureMapping {
    /// S3 error codes that mean the key, the secret or the permissions are wrong.
    static let credentialCodes: Set<String> = [
        "SignatureDoesNotMatch", "InvalidAccessKeyId", "AccessDenied", "InvalidToken", "ExpiredToken",
        "InvalidSecurity", "AllAccessDisabled", "AccountProblem", "NotSignedUp", "InvalidClientTokenId",
    ]
    static let fullCodes: Set<String> = ["QuotaExceeded", "InsufficientStorage", "StorageFull", "XMinioStorageFull"]

    /// An S3 answer that is not 2xx. `what` names the request's object or bucket, for the details.
    package static func s3(status: Int, code: String?, message: String?, what: String) -> StoreError {
        let message = message ?? ""
        let said = answerText(status, code, message)
        if let code, credentialCodes.contains(code) {
            return .credentials(status: status, code: code, message: message)
        }
        switch code {
        case "NoSuchBucket":
            return .noBucket("\(said), \(what)")
        case "EntityTooLarge":
            return .tooLarge("\(said), \(what)")
        case "RequestTimeTooSkewed":
            return .clockSkew(message: said)
        case "AuthorizationHeaderMalformed":
            return .settings("the store says the request's signature scope is wrong (\(said)): check region in [upload]")
        case "PermanentRedirect", "TemporaryRedirect", "IllegalLocationConstraintException":
            return .settings("the bucket is served by another endpoint or region (\(said)): check endpoint and region in [upload]")
        case "InvalidBucketName":
            return .settings("the store refuses the bucket's name (\(said)): check url in [upload]")
        default:
            break
        }
        if let code, fullCodes.contains(code) { return .storeFull("\(said), \(what)") }
        if status == 507 || message.lowercased().contains("insufficient storage") { return .storeFull("\(said), \(what)") }
        if status == 413 { return .tooLarge("\(said), \(what)") }
        if status == 401 || status == 403 { return .credentials(status: status, code: code, message: message) }
        return .server(status: status, code: code, message: message)
    }

    /// A plain HTTP (WebDAV) answer that is not 2xx.
    package static func http(status: Int, message: String, what: String) -> StoreError {
        let said = answerText(status, nil, message)
        switch status {
        case 401, 403: return .credentials(status: status, code: nil, message: message)
        // 405: the URL is not an upload folder (nginx without dav_methods there); 409: a folder is in the way.
        case 404, 405, 409: return .noBucket("\(said), \(what)")
        case 413: return .tooLarge("\(said), \(what)")
        case 507: return .storeFull("\(said), \(what)")
        default: return .server(status: status, code: nil, message: message)
        }
    }

    /// A transfer that did not produce an answer (libcurl's `CURLcode` and its text).
    package static func transport(code: Int, text: String, answerTooLarge: Bool, maxAnswerBytes: Int, what: String)
        -> StoreError
    {
        let said = "\(text) [curl \(code)], \(what)"
        switch code {
        case 28:  // CURLE_OPERATION_TIMEDOUT: connect, low-speed or total timeout
            return .timedOut(said)
        case 35, 53, 54, 58, 59, 60, 64, 66, 80, 83, 90, 91, 98:
            // SSL connect error, engine problems, client cert, cipher, peer verification, use-SSL failed, engine
            // init, shutdown, issuer, pinned key, cert status, client cert required
            return .tls(said)
        case 77, 82:  // CURLE_SSL_CACERT_BADFILE, CURLE_SSL_CRL_BADFILE
            return .settings("the CA file cannot be read or holds no certificate (\(text)): check ca_file in [upload]")
        case 1, 3:  // CURLE_UNSUPPORTED_PROTOCOL, CURLE_URL_MALFORMAT
            return .settings("the store's URL cannot be used (\(text)): check url and endpoint in [upload]")
        case 23 where answerTooLarge:  // CURLE_WRITE_ERROR: the client refused more bytes
            return .badReply("the answer is larger than the \(maxAnswerBytes) bytes the client accepts, \(what)")
        default:
            // 5 and 6 (resolving), 7 (connect), 18 (partial answer), 52 (nothing), 55/56 (send/receive: reset),
            // 8 (weird reply), 16/92 (HTTP/2 framing) and whatever else ends a transfer early.
            return .unreachable(said)
        }
    }

    static func answerText(_ status: Int, _ code: String?, _ message: String) -> String {
        var text = String(status)
        if let code { text += " " + code }
        if !message.isEmpty { text += ": " + message }
        return text
    }

    /// Text from the store or libcurl made fit for a log line: no control characters, at most 300 characters, and
    /// never the secret (no store should echo it, but nothing relies on that).
    package static func clean(_ text: String, secret: StoreSecret) -> String {
        var result = String(String.UnicodeScalarView(text.unicodeScalars.map {
            $0.value < 0x20 || $0.value == 0x7F ? " " : $0
        })).trimmingSpaces()
        if !secret.value.isEmpty { result = result.replacing(secret.value, with: "<secret>") }
        if result.count > 300 { result = String(result.prefix(300)) + "…" }
        return result
    }
}
