import Hashing

/// AWS Signature Version 4 for S3, computed here rather than by libcurl's `CURLOPT_AWS_SIGV4`: curl 7.88
/// (Debian 12) signs with a caller-supplied `X-Amz-Date` but then sends that header twice (fixed in curl 8.3),
/// which Swift's s3api rejects ("AWS authentication requires a valid Date or x-amz-date header"), and the client
/// must sign with the store's clock when the box's is off. curl 7.88 also signs the query as given (sorting came
/// with curl 8.3) and the path as given (encoding it came with 8.9): signing here makes every libcurl version send
/// and sign the same request, and keeps the S3 secret out of libcurl's memory.
package struct SigV4Signer: Sendable {
    package var accessKeyID: String
    package var secret: StoreSecret
    package var region: String
    package var service = "s3"

    package init(accessKeyID: String, secret: StoreSecret, region: String) {
        self.accessKeyID = accessKeyID
        self.secret = secret
        self.region = region
    }

    /// The headers to add to a request: `Authorization`, `x-amz-date`, `x-amz-content-sha256`.
    ///
    /// - Parameters:
    ///   - method: `GET`, `PUT`, `HEAD`.
    ///   - canonicalURI: the path exactly as sent (already `uriEncode`d).
    ///   - query: the query parameters, not encoded (they are encoded and sorted here, as they must be sent).
    ///   - headers: every other header that is sent and signed (`host`, `content-md5`, `content-type`, ...),
    ///     names in any case.
    ///   - payloadSHA256: the body's SHA-256 in lowercase hex.
    ///   - time: seconds since 1970 (UTC) to sign with.
    package func sign(method: String, canonicalURI: String, query: [(String, String)], headers: [(String, String)],
              payloadSHA256: String, time: Int64) -> [(String, String)] {
        let (date, timestamp) = Self.amzDate(time)
        var all = headers.map { (name: $0.0.lowercased(), value: Self.trimmedValue($0.1)) }
        all.append(("x-amz-content-sha256", payloadSHA256))
        all.append(("x-amz-date", timestamp))
        all.sort { $0.name < $1.name }
        let signedHeaders = all.map(\.name).joined(separator: ";")
        let canonicalHeaders = all.map { "\($0.name):\($0.value)\n" }.joined()
        let canonicalRequest = [
            method, canonicalURI, Self.canonicalQuery(query), canonicalHeaders, signedHeaders, payloadSHA256,
        ].joined(separator: "\n")
        let scope = "\(date)/\(region)/\(service)/aws4_request"
        let stringToSign = [
            "AWS4-HMAC-SHA256", timestamp, scope, SHA256.hexDigest(Array(canonicalRequest.utf8)),
        ].joined(separator: "\n")
        var key = HMACSHA256.authenticate(Array(date.utf8), key: Array("AWS4\(secret.value)".utf8))
        for part in [region, service, "aws4_request"] { key = HMACSHA256.authenticate(Array(part.utf8), key: key) }
        let signature = Hex.encode(HMACSHA256.authenticate(Array(stringToSign.utf8), key: key))
        for index in key.indices { key[index] = 0 }
        return [
            ("Authorization",
             "AWS4-HMAC-SHA256 Credential=\(accessKeyID)/\(scope), SignedHeaders=\(signedHeaders), Signature=\(signature)"),
            ("x-amz-content-sha256", payloadSHA256),
            ("x-amz-date", timestamp),
        ]
    }

    /// The query as SigV4 wants it and as it is sent: `key=value` pairs, both `uriEncode`d (`/` too), sorted by
    /// the encoded key, joined with `&`; a parameter without a value still has its `=`.
    package static func canonicalQuery(_ query: [(String, String)]) -> String {
        query.map { (uriEncode($0.0, keepSlash: false), uriEncode($0.1, keepSlash: false)) }
            .sorted { $0.0 == $1.0 ? $0.1 < $1.1 : $0.0 < $1.0 }
            .map { "\($0.0)=\($0.1)" }
            .joined(separator: "&")
    }

    /// A header value as SigV4 canonicalises it: trimmed, runs of spaces made one.
    package static func trimmedValue(_ value: String) -> String {
        value.split(whereSeparator: { $0 == " " || $0 == "\t" }).joined(separator: " ")
    }

    /// `(YYYYMMDD, YYYYMMDD'T'HHMMSS'Z')` of `time` (UTC).
    package static func amzDate(_ time: Int64) -> (String, String) {
        let civil = CivilTime(secondsSince1970: time)
        func two(_ value: Int) -> String { value < 10 ? "0\(value)" : "\(value)" }
        var year = String(civil.year)
        while year.count < 4 { year = "0" + year }
        let date = "\(year)\(two(civil.month))\(two(civil.day))"
        return (date, "\(date)T\(two(civil.hour))\(two(civil.minute))\(two(civil.second))Z")
    }
}

/// A UTC calendar time from seconds since 1970 (proleptic Gregorian, Howard Hinnant's `civil_from_days`).
package struct CivilTime: Equatable {
    package var year: Int, month: Int, day: Int, hour: Int, minute: Int, second: Int

    package init(secondsSince1970 time: Int64) {
        let days = Int(time >= 0 ? time / 86_400 : (time - 86_399) / 86_400)
        let secondsOfDay = Int(time - Int64(days) * 86_400)
        hour = secondsOfDay / 3600
        minute = secondsOfDay / 60 % 60
        second = secondsOfDay % 60
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let dayOfEra = z - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let monthIndex = (5 * dayOfYear + 2) / 153
        day = dayOfYear - (153 * monthIndex + 2) / 5 + 1
        month = monthIndex < 10 ? monthIndex + 3 : monthIndex - 9
        year = yearOfEra + era * 400 + (month <= 2 ? 1 : 0)
    }
}
