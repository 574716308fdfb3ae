/// The little of S3's XML the client reads: an error's `<Code>` and `<Message>`, and a ListObjectsV2 page.
/// A hand parser over bytes (elements found by name, entities decoded) is enough: these documents are flat,
/// machine-written, and the client needs no more than these fields. Anything it cannot read is "no such field".
package enum S3XML {
    /// An S3 error document (`<Error><Code>..</Code><Message>..</Message></Error>`).
    package struct ErrorBody: Equatable {
        package var code: String?
        package var message: String?
    }

    /// One page of a ListObjectsV2 answer.
    package struct ListPage: Equatable {
        package struct Entry: Equatable {
            package var key: String
            package var size: Int64
            package var etag: String?
        }

        package var entries: [Entry]
        package var isTruncated: Bool
        package var nextContinuationToken: String?
    }

    package static func parseError(_ body: [UInt8]) -> ErrorBody? {
        guard let error = firstElement("Error", in: body[...]) else { return nil }
        return ErrorBody(code: firstElement("Code", in: error).map(decodeText),
                         message: firstElement("Message", in: error).map(decodeText))
    }

    /// The page, or nil when `body` is not a `ListBucketResult`.
    package static func parseListPage(_ body: [UInt8]) -> ListPage? {
        guard let result = firstElement("ListBucketResult", in: body[...]) else { return nil }
        var entries: [ListPage.Entry] = []
        var rest = result
        while let (contents, after) = nextElement("Contents", in: rest) {
            rest = after
            guard let key = firstElement("Key", in: contents).map(decodeText) else { return nil }
            let size = firstElement("Size", in: contents).map(decodeText).flatMap { Int64($0) } ?? 0
            let etag = firstElement("ETag", in: contents).map(decodeText).map(unquoteETag)
            entries.append(ListPage.Entry(key: key, size: size, etag: etag))
        }
        // Outside the <Contents> elements only: a key may be named "IsTruncated".
        let outside = removingElements("Contents", from: result)
        let truncated = firstElement("IsTruncated", in: outside[...]).map(decodeText) == "true"
        let token = firstElement("NextContinuationToken", in: outside[...]).map(decodeText)
        return ListPage(entries: entries, isTruncated: truncated, nextContinuationToken: token)
    }

    /// An ETag without its quotes (S3 sends `"9e10..."`), lowercased.
    package static func unquoteETag(_ etag: String) -> String {
        var text = etag.trimmingSpaces()
        if text.hasPrefix("W/") { text.removeFirst(2) }
        if text.hasPrefix("\""), text.hasSuffix("\""), text.count >= 2 { text = String(text.dropFirst().dropLast()) }
        return text.lowercased()
    }

    // MARK: The parser

    /// The content of the first `<name>` element (with or without attributes) in `bytes`.
    package static func firstElement(_ name: String, in bytes: ArraySlice<UInt8>) -> ArraySlice<UInt8>? {
        nextElement(name, in: bytes)?.content
    }

    /// The first `<name ...>content</name>` in `bytes`: its content and what follows it. `<name/>` has empty content.
    package static func nextElement(_ name: String, in bytes: ArraySlice<UInt8>)
        -> (content: ArraySlice<UInt8>, rest: ArraySlice<UInt8>)?
    {
        let open = Array("<\(name)".utf8)
        let close = Array("</\(name)>".utf8)
        var searchFrom = bytes.startIndex
        while let start = find(open, in: bytes[searchFrom...]) {
            let afterName = start + open.count
            guard afterName < bytes.endIndex else { return nil }
            let next = bytes[afterName]
            // `<Key>` must not match `<KeyCount>`.
            guard next == UInt8(ascii: ">") || next == UInt8(ascii: " ") || next == UInt8(ascii: "/")
                || next == UInt8(ascii: "\t") || next == UInt8(ascii: "\n") || next == UInt8(ascii: "\r")
            else {
                searchFrom = afterName
                continue
            }
            guard let tagEnd = bytes[afterName...].firstIndex(of: UInt8(ascii: ">")) else { return nil }
            if bytes[tagEnd - 1] == UInt8(ascii: "/") {
                return (bytes[tagEnd..<tagEnd], bytes[(tagEnd + 1)...])
            }
            let contentStart = tagEnd + 1
            guard let end = find(close, in: bytes[contentStart...]) else { return nil }
            return (bytes[contentStart..<end], bytes[(end + close.count)...])
        }
        return nil
    }

    private static func removingElements(_ name: String, from bytes: ArraySlice<UInt8>) -> [UInt8] {
        var out: [UInt8] = []
        var rest = bytes
        let open = Array("<\(name)".utf8)
        while let (_, after) = nextElement(name, in: rest), let start = find(open, in: rest) {
            out += rest[rest.startIndex..<start]
            rest = after
        }
        out += rest
        return out
    }

    private static func find(_ needle: [UInt8], in haystack: ArraySlice<UInt8>) -> Int? {
        guard !needle.isEmpty, haystack.count >= needle.count else { return nil }
        let first = needle[0]
        var index = haystack.startIndex
        let last = haystack.endIndex - needle.count
        while index <= last {
            if haystack[index] == first && haystack[index..<(index + needle.count)].elementsEqual(needle) {
                return index
            }
            index += 1
        }
        return nil
    }

    /// Element text with XML's entities decoded (`&amp; &lt; &gt; &quot; &apos; &#N; &#xH;`) and CDATA unwrapped.
    package static func decodeText(_ bytes: ArraySlice<UInt8>) -> String {
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count)
        var index = bytes.startIndex
        let cdataOpen = Array("<![CDATA[".utf8)
        let cdataClose = Array("]]>".utf8)
        while index < bytes.endIndex {
            let byte = bytes[index]
            if byte == UInt8(ascii: "<"), bytes[index...].starts(with: cdataOpen),
                let end = find(cdataClose, in: bytes[(index + cdataOpen.count)...])
            {
                out += bytes[(index + cdataOpen.count)..<end]
                index = end + cdataClose.count
                continue
            }
            if byte == UInt8(ascii: "&"), let semicolon = bytes[index...].prefix(12).firstIndex(of: UInt8(ascii: ";")) {
                let entity = String(decoding: bytes[(index + 1)..<semicolon], as: UTF8.self)
                if let decoded = decodeEntity(entity) {
                    out += Array(String(decoded).utf8)
                    index = semicolon + 1
                    continue
                }
            }
            out.append(byte)
            index += 1
        }
        return String(decoding: out, as: UTF8.self)
    }

    private static func decodeEntity(_ entity: String) -> Character? {
        switch entity {
        case "amp": return "&"
        case "lt": return "<"
        case "gt": return ">"
        case "quot": return "\""
        case "apos": return "'"
        default:
            var number: UInt32?
            if entity.hasPrefix("#x") || entity.hasPrefix("#X") {
                number = UInt32(entity.dropFirst(2), radix: 16)
            } else if entity.hasPrefix("#") {
                number = UInt32(entity.dropFirst(), radix: 10)
            }
            guard let number, let scalar = Unicode.Scalar(number) else { return nil }
            return Character(scalar)
        }
    }
}
