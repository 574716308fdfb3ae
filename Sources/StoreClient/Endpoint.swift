/// The parts of an `http(s)://` URL the clients need: no user info, no query, no fragment.
package struct Endpoint: Equatable {
    package var scheme: String
    /// The host as written in the URL (an IPv6 literal keeps its brackets), lowercased.
    package var host: String
    /// The port as written, or nil for the scheme's default.
    package var port: String?
    /// The path without a trailing slash ("" for none), kept as written (already encoded).
    package var path: String

    /// `host[:port]`: the authority and the `Host` header.
    package var authority: String { port.map { "\(host):\($0)" } ?? host }

    /// Parses `text`; nil with a reason when it is not a plain http(s) URL.
    package static func parse(_ text: String) -> Result<Endpoint, EndpointProblem> {
        guard let schemeEnd = text.firstRange(of: "://") else { return .failure(.init("it is not a URL")) }
        let scheme = text[..<schemeEnd.lowerBound].lowercased()
        guard scheme == "http" || scheme == "https" else {
            return .failure(.init("only http:// and https:// are supported"))
        }
        let rest = text[schemeEnd.upperBound...]
        let authorityEnd = rest.firstIndex(where: { $0 == "/" || $0 == "?" || $0 == "#" }) ?? rest.endIndex
        let authority = String(rest[..<authorityEnd])
        let tail = rest[authorityEnd...]
        guard !tail.contains("?"), !tail.contains("#") else {
            return .failure(.init("a query (?) or fragment (#) has no place in it"))
        }
        guard !authority.contains("@") else {
            return .failure(.init("credentials belong in secret_file, not in the URL"))
        }
        var host = authority
        var port: String?
        if authority.hasPrefix("[") {
            guard let close = authority.firstIndex(of: "]") else { return .failure(.init("the IPv6 host has no ]")) }
            host = String(authority[...close])
            let after = authority[authority.index(after: close)...]
            if after.hasPrefix(":") { port = String(after.dropFirst()) } else if !after.isEmpty {
                return .failure(.init("the host is malformed"))
            }
        } else if let colon = authority.lastIndex(of: ":") {
            host = String(authority[..<colon])
            port = String(authority[authority.index(after: colon)...])
        }
        if let port {
            guard !port.isEmpty, port.count <= 5, port.allSatisfy({ $0.isASCII && $0.isNumber }),
                let number = Int(port), number > 0, number < 65536
            else { return .failure(.init("the port is not a number from 1 to 65535")) }
        }
        guard !host.isEmpty,
            host.utf8.allSatisfy({ byte in
                isUnreserved(byte) || byte == UInt8(ascii: "[") || byte == UInt8(ascii: "]")
                    || byte == UInt8(ascii: ":") || byte == UInt8(ascii: "%")
            })
        else { return .failure(.init("the host name is empty or has characters a host name cannot have")) }
        var path = String(tail)
        while path.hasSuffix("/") { path.removeLast() }
        return .success(Endpoint(scheme: scheme, host: host.lowercased(), port: port, path: path))
    }

    /// `scheme://authority`.
    package var origin: String { "\(scheme)://\(authority)" }
}

package struct EndpointProblem: Error, Equatable {
    package var reason: String
    package init(_ reason: String) { self.reason = reason }
}

/// The unreserved characters of RFC 3986 (`A-Z a-z 0-9 - . _ ~`): the only bytes SigV4 leaves unencoded.
package func isUnreserved(_ byte: UInt8) -> Bool {
    switch byte {
    case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"),
        UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"),
        UInt8(ascii: "~"):
        true
    default: false
    }
}

/// Percent-encoding as AWS Signature V4 defines it ("UriEncode"): every byte of the UTF-8 text but the
/// unreserved ones becomes `%XY` (uppercase hex); `/` is kept only when `keepSlash` (object key paths). S3 does
/// not encode twice, so this is both what is sent and what is signed: `date=2026-12-03` goes out as
/// `date%3D2026-12-03`, which is what Swift's s3api (and AWS) canonicalise the decoded path to.
package func uriEncode(_ text: String, keepSlash: Bool) -> String {
    let hex = Array("0123456789ABCDEF".utf8)
    var out: [UInt8] = []
    out.reserveCapacity(text.utf8.count)
    for byte in text.utf8 {
        if isUnreserved(byte) || (keepSlash && byte == UInt8(ascii: "/")) {
            out.append(byte)
        } else {
            out += [UInt8(ascii: "%"), hex[Int(byte >> 4)], hex[Int(byte & 0x0F)]]
        }
    }
    return String(decoding: out, as: UTF8.self)
}

/// Why an object key cannot be used: nil when it can. Keys are relative ("a/b.json"): no leading slash, no empty,
/// "." or ".." segment (servers fold them, so what is stored would not be what was signed), no control characters.
package func keyProblem(_ key: String) -> String? {
    if key.isEmpty { return "the object key is empty" }
    if key.hasPrefix("/") { return "the object key \"\(key)\" starts with /" }
    if key.unicodeScalars.contains(where: { $0.value < 0x20 || $0.value == 0x7F }) {
        return "the object key has a control character"
    }
    let segments = key.split(separator: "/", omittingEmptySubsequences: false)
    for (index, segment) in segments.enumerated() {
        if segment == "." || segment == ".." { return "the object key \"\(key)\" has a . or .. segment" }
        if segment.isEmpty && index != segments.count - 1 { return "the object key \"\(key)\" has an empty segment" }
    }
    if key.hasSuffix("/") { return "the object key \"\(key)\" ends with /" }
    return nil
}
