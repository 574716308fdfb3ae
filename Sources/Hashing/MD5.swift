import CCrypto

/// MD5 through libcrypto, for what stores use it for: S3's `Content-MD5` header and the ETag of a single PUT. Not
/// for anything that needs collision resistance.
public enum MD5 {
    /// The digest's length.
    public static let byteCount = 16

    /// The 16-byte digest of `bytes` (`EVP_Digest` with `EVP_md5`, not OpenSSL 3's deprecated `MD5`).
    public static func hash(_ bytes: UnsafeRawBufferPointer) -> [UInt8] {
        var digest = [UInt8](repeating: 0, count: byteCount)
        var length: UInt32 = 0
        // A zero count is fine with no pointer: EVP_DigestUpdate reads nothing then.
        let status = digest.withUnsafeMutableBufferPointer { out in
            EVP_Digest(bytes.baseAddress, bytes.count, out.baseAddress, &length, EVP_md5(), nil)
        }
        // Only an allocation failure inside libcrypto gets here.
        precondition(status == 1 && length == UInt32(byteCount), "libcrypto cannot compute an MD5 digest")
        return digest
    }

    /// The digest of `bytes`.
    public static func hash<Bytes: Sequence>(_ bytes: Bytes) -> [UInt8] where Bytes.Element == UInt8 {
        withContiguousBytes(bytes, hash)
    }

    /// The digest of `bytes` as 32 lowercase hex digits (what S3 returns as the ETag of a single PUT).
    public static func hexDigest<Bytes: Sequence>(_ bytes: Bytes) -> String where Bytes.Element == UInt8 {
        Hex.encode(hash(bytes))
    }
}

/// HMAC-SHA256 (RFC 2104) over this module's ``SHA256``: what AWS Signature V4 chains to derive its signing key
/// and sign the request.
public enum HMACSHA256 {
    private static let blockSize = 64

    /// The 32-byte MAC of `message` under `key`.
    public static func authenticate<Key: Sequence, Message: Sequence>(_ message: Message, key: Key) -> [UInt8]
    where Key.Element == UInt8, Message.Element == UInt8 {
        var keyBlock = Array(key)
        if keyBlock.count > blockSize { keyBlock = SHA256.hash(keyBlock) }
        keyBlock += [UInt8](repeating: 0, count: blockSize - keyBlock.count)
        var inner = SHA256()
        inner.update(keyBlock.map { $0 ^ 0x36 })
        inner.update(message)
        let innerDigest = inner.finalize()
        var outer = SHA256()
        outer.update(keyBlock.map { $0 ^ 0x5C })
        outer.update(innerDigest)
        // The key block may hold a secret: it does not outlive this call.
        for index in keyBlock.indices { keyBlock[index] = 0 }
        return outer.finalize()
    }
}

/// Base64 (RFC 4648, with padding), as the `Content-MD5` and basic-auth headers carry it.
public enum Base64 {
    private static let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)

    /// `bytes` in base64.
    public static func encode<Bytes: Sequence>(_ bytes: Bytes) -> String where Bytes.Element == UInt8 {
        let input = Array(bytes)
        var output: [UInt8] = []
        output.reserveCapacity((input.count + 2) / 3 * 4)
        var index = 0
        while index + 3 <= input.count {
            let value = UInt32(input[index]) << 16 | UInt32(input[index + 1]) << 8 | UInt32(input[index + 2])
            for shift in [18, 12, 6, 0] { output.append(alphabet[Int(value >> UInt32(shift) & 0x3F)]) }
            index += 3
        }
        let rest = input.count - index
        if rest > 0 {
            let value = UInt32(input[index]) << 16 | (rest == 2 ? UInt32(input[index + 1]) << 8 : 0)
            output.append(alphabet[Int(value >> 18 & 0x3F)])
            output.append(alphabet[Int(value >> 12 & 0x3F)])
            output.append(rest == 2 ? alphabet[Int(value >> 6 & 0x3F)] : UInt8(ascii: "="))
            output.append(UInt8(ascii: "="))
        }
        return String(decoding: output, as: UTF8.self)
    }
}
