import Hashing
import StoreClient
import Testing

// The client's pure parts, without any server: digests, SigV4 (AWS's published examples), encodings, the XML
// reader and the table from answers to errors.

@Suite struct DigestTests {
    @Test func md5OfKnownTexts() {
        #expect(MD5.hexDigest([UInt8]()) == "d41d8cd98f00b204e9800998ecf8427e")
        #expect(MD5.hexDigest(Array("The quick brown fox jumps over the lazy dog".utf8))
            == "9e107d9d372bb6826bd81d3542a419d6")
    }

    /// RFC 4231 test cases 1, 2 and 6 (a key longer than the block).
    @Test func hmacSHA256OfRFC4231() {
        #expect(Hex.encode(HMACSHA256.authenticate(Array("Hi There".utf8), key: [UInt8](repeating: 0x0B, count: 20)))
            == "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7")
        #expect(Hex.encode(HMACSHA256.authenticate(Array("what do ya want for nothing?".utf8), key: Array("Jefe".utf8)))
            == "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843")
        #expect(Hex.encode(HMACSHA256.authenticate(Array("Test Using Larger Than Block-Size Key - Hash Key First".utf8),
                                                   key: [UInt8](repeating: 0xAA, count: 131)))
            == "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54")
    }

    /// RFC 4648 §10.
    @Test(arguments: [("", ""), ("f", "Zg=="), ("fo", "Zm8="), ("foo", "Zm9v"), ("foob", "Zm9vYg=="),
                      ("fooba", "Zm9vYmE="), ("foobar", "Zm9vYmFy")])
    func base64OfRFC4648(text: String, expected: String) {
        #expect(Base64.encode(Array(text.utf8)) == expected)
    }
}

@Suite struct SigV4Tests {
    // AWS's S3 examples ("Signature Calculations for the Authorization Header"), 2013-05-24T00:00:00Z.
    let signer = SigV4Signer(accessKeyID: "AKIAIOSFODNN7EXAMPLE",
                             secret: StoreSecret("wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"), region: "us-east-1")
    let time: Int64 = 1_369_353_600
    let emptyHash = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

    func signature(_ headers: [(String, String)]) -> String? {
        guard let authorization = headers.first(where: { $0.0 == "Authorization" })?.1,
            let range = authorization.firstRange(of: "Signature=")
        else { return nil }
        return String(authorization[range.upperBound...])
    }

    @Test func getObject() {
        let headers = signer.sign(method: "GET", canonicalURI: "/test.txt", query: [],
                                  headers: [("Host", "examplebucket.s3.amazonaws.com"), ("Range", "bytes=0-9")],
                                  payloadSHA256: emptyHash, time: time)
        #expect(signature(headers) == "f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41")
        let authorization = headers.first { $0.0 == "Authorization" }?.1 ?? ""
        #expect(authorization.hasPrefix("AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/"
            + "aws4_request, SignedHeaders=host;range;x-amz-content-sha256;x-amz-date, Signature="))
        #expect(headers.contains { $0 == ("x-amz-date", "20130524T000000Z") })
    }

    @Test func putObject() {
        let body = Array("Welcome to Amazon S3.".utf8)
        let headers = signer.sign(method: "PUT", canonicalURI: "/" + uriEncode("test$file.text", keepSlash: true),
                                  query: [],
                                  headers: [("Host", "examplebucket.s3.amazonaws.com"),
                                            ("Date", "Fri, 24 May 2013 00:00:00 GMT"),
                                            ("x-amz-storage-class", "REDUCED_REDUNDANCY")],
                                  payloadSHA256: SHA256.hexDigest(body), time: time)
        #expect(signature(headers) == "98ad721746da40c64f1a55b78f14c238d841ea1380cd77a1b5971af0ece108bd")
    }

    @Test func getBucketLifecycle() {
        let headers = signer.sign(method: "GET", canonicalURI: "/", query: [("lifecycle", "")],
                                  headers: [("Host", "examplebucket.s3.amazonaws.com")],
                                  payloadSHA256: emptyHash, time: time)
        #expect(signature(headers) == "fea454ca298b7da1c68078a5d1bdbfbbe0d65c699e0f91ac7a200a0136783543")
    }

    @Test func listObjects() {
        // Given out of order: the signer sorts them as it must.
        let headers = signer.sign(method: "GET", canonicalURI: "/", query: [("prefix", "J"), ("max-keys", "2")],
                                  headers: [("Host", "examplebucket.s3.amazonaws.com")],
                                  payloadSHA256: emptyHash, time: time)
        #expect(signature(headers) == "34b48302e7b5fa45bde8084f4b7868a86f0a534bc59db6670ed5711ef69dc6f7")
        #expect(SigV4Signer.canonicalQuery([("prefix", "J"), ("max-keys", "2")]) == "max-keys=2&prefix=J")
    }

    @Test func queryValuesAreEncodedSlashesToo() {
        #expect(SigV4Signer.canonicalQuery([("prefix", "yuxian/date=2026-12-03/"), ("list-type", "2")])
            == "list-type=2&prefix=yuxian%2Fdate%3D2026-12-03%2F")
    }

    @Test(arguments: [
        (Int64(0), "19700101", "19700101T000000Z"),
        (Int64(1_369_353_600), "20130524", "20130524T000000Z"),
        (Int64(951_782_400 + 3_723), "20000229", "20000229T010203Z"),
        (Int64(-1), "19691231", "19691231T235959Z"),
        (Int64(4_102_444_799), "20991231", "20991231T235959Z"),
    ])
    func amzDate(time: Int64, date: String, timestamp: String) {
        #expect(SigV4Signer.amzDate(time) == (date, timestamp))
    }

    @Test func headerValuesAreTrimmed() {
        #expect(SigV4Signer.trimmedValue("  a   b \t c ") == "a b c")
    }
}

@Suite struct EncodingTests {
    @Test func keysKeepSlashesAndEncodeTheRest() {
        #expect(uriEncode("date=2026-12-03/station=xiaohu/xiaohu_2026-12-03.json", keepSlash: true)
            == "date%3D2026-12-03/station%3Dxiaohu/xiaohu_2026-12-03.json")
        #expect(uriEncode("a b+c&d~e", keepSlash: false) == "a%20b%2Bc%26d~e")
        #expect(uriEncode("小湖/x", keepSlash: false) == "%E5%B0%8F%E6%B9%96%2Fx")
    }

    @Test(arguments: ["date=2026-12-03/station=x/x_2026-12-03.json", "a", "a/b.csv"])
    func usableKeys(key: String) {
        #expect(keyProblem(key) == nil)
    }

    @Test(arguments: ["", "/a", "a//b", "a/./b", "a/../b", "..", "a/", "a\nb"])
    func unusableKeys(key: String) {
        #expect(keyProblem(key) != nil)
    }

    @Test func endpoints() throws {
        let plain = try Endpoint.parse("http://127.0.0.1:8080").get()
        #expect(plain.scheme == "http" && plain.host == "127.0.0.1" && plain.port == "8080" && plain.path == "")
        #expect(plain.authority == "127.0.0.1:8080")
        let named = try Endpoint.parse("HTTPS://OSS.County.Example/").get()
        #expect(named.scheme == "https" && named.host == "oss.county.example" && named.port == nil)
        let v6 = try Endpoint.parse("http://[::1]:9000/base/").get()
        #expect(v6.host == "[::1]" && v6.port == "9000" && v6.path == "/base")
        for bad in ["ftp://x", "oss.example", "http://user:pw@host/", "http://host:0", "http://host:99999",
                    "http://host:x", "http:///", "http://host/?a=1", "http://ho st/"] {
            #expect(throws: EndpointProblem.self, "\(bad)") { try Endpoint.parse(bad).get() }
        }
    }

    @Test func httpDates() {
        #expect(StoreClient.parseHTTPDate("Sun, 06 Nov 1994 08:49:37 GMT") == 784_111_777)
        #expect(StoreClient.parseHTTPDate("Thu, 03 Dec 2026 17:56:10 GMT") == 1_796_320_570)
        #expect(StoreClient.parseHTTPDate("not a date") == nil)
    }
}

@Suite struct XMLTests {
    @Test func errorDocument() throws {
        let body = Array("""
            <?xml version='1.0' encoding='UTF-8'?>
            <Error><Code>SignatureDoesNotMatch</Code><Message>The request signature we calculated does not match \
            the signature you provided. Check your key &amp; signing method.</Message><RequestId>tx1</RequestId>\
            <StringToSign>AWS4-HMAC-SHA256\n20261203T175610Z</StringToSign></Error>
            """.utf8)
        let error = try #require(S3XML.parseError(body))
        #expect(error.code == "SignatureDoesNotMatch")
        #expect(error.message?.hasSuffix("Check your key & signing method.") == true)
        #expect(S3XML.parseError(Array("<html><title>503</title></html>".utf8)) == nil)
        #expect(S3XML.parseError([]) == nil)
    }

    @Test func listPage() throws {
        let body = Array("""
            <?xml version="1.0" encoding="UTF-8"?>
            <ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Name>county-counts</Name>\
            <Prefix>yuxian/</Prefix><KeyCount>2</KeyCount><MaxKeys>2</MaxKeys><IsTruncated>true</IsTruncated>\
            <NextContinuationToken>MTIz&#x3D;</NextContinuationToken>\
            <Contents><Key>yuxian/date=2026-12-03/a&amp;b.json</Key><LastModified>2026-12-03T10:00:00.000Z\
            </LastModified><ETag>&quot;9e107d9d372bb6826bd81d3542a419d6&quot;</ETag><Size>43</Size>\
            <StorageClass>STANDARD</StorageClass></Contents>\
            <Contents><Key>yuxian/IsTruncated</Key><ETag>"D41D8CD98F00B204E9800998ECF8427E"</ETag><Size>0</Size>\
            </Contents></ListBucketResult>
            """.utf8)
        let page = try #require(S3XML.parseListPage(body))
        #expect(page.isTruncated)
        #expect(page.nextContinuationToken == "MTIz=")
        #expect(page.entries.map(\.key) == ["yuxian/date=2026-12-03/a&b.json", "yuxian/IsTruncated"])
        #expect(page.entries.map(\.size) == [43, 0])
        #expect(page.entries.map(\.etag) == ["9e107d9d372bb6826bd81d3542a419d6", "d41d8cd98f00b204e9800998ecf8427e"])
    }

    @Test func lastPageAndEmptyListing() throws {
        let last = try #require(S3XML.parseListPage(Array(
            "<ListBucketResult><IsTruncated>false</IsTruncated><Contents><Key>k</Key><Size>1</Size></Contents></ListBucketResult>"
                .utf8)))
        #expect(!last.isTruncated && last.nextContinuationToken == nil && last.entries.map(\.key) == ["k"])
        let empty = try #require(S3XML.parseListPage(Array(
            "<ListBucketResult><KeyCount>0</KeyCount><IsTruncated>false</IsTruncated></ListBucketResult>".utf8)))
        #expect(empty.entries.isEmpty)
        #expect(S3XML.parseListPage(Array("<Error><Code>x</Code></Error>".utf8)) == nil)
    }

    @Test func entitiesAndCData() {
        #expect(S3XML.decodeText(Array("a&lt;b&gt;c&quot;d&apos;e&#26412;&#x5C0F;&bogus;".utf8)[...]) == "a<b>c\"d'e本小&bogus;")
        #expect(S3XML.decodeText(Array("<![CDATA[a&amp;b]]>!".utf8)[...]) == "a&amp;b!")
    }
}

@Suite struct FailureMappingTests {
    static let s3Cases: [(Int, String?, String)] = [
        (403, "SignatureDoesNotMatch", "credentials:SignatureDoesNotMatch"),
        (403, "InvalidAccessKeyId", "credentials:InvalidAccessKeyId"),
        (403, "AccessDenied", "credentials:AccessDenied"),
        (401, nil, "credentials:401"),
        (403, nil, "credentials:403"),
        (404, "NoSuchBucket", "noBucket"),
        (413, nil, "tooLarge"),
        (400, "EntityTooLarge", "tooLarge"),
        (507, nil, "storeFull"),
        (403, "QuotaExceeded", "storeFull"),
        (403, "RequestTimeTooSkewed", "clockSkew"),
        (400, "AuthorizationHeaderMalformed",
         "settings:the store says the request's signature scope is wrong (400 AuthorizationHeaderMalformed: m): check region in [upload]"),
        (503, "ServiceUnavailable", "server:503:ServiceUnavailable"),
        (500, nil, "server:500"),
        (400, "BadDigest", "server:400:BadDigest"),
        (404, "NoSuchKey", "server:404:NoSuchKey"),
    ]

    @Test(arguments: s3Cases)
    func s3Answers(status: Int, code: String?, kind: String) {
        let error = FailureMapping.s3(status: status, code: code, message: "m", what: "s3://b/k")
        #expect(error.kindKey == kind)
    }

    @Test func insufficientStorageInWords() {
        #expect(FailureMapping.s3(status: 500, code: "InternalError", message: "Insufficient Storage", what: "x")
            .kindKey == "storeFull")
    }

    @Test(arguments: [(401, "credentials:401"), (403, "credentials:403"), (404, "noBucket"), (405, "noBucket"), (409, "noBucket"),
                      (413, "tooLarge"), (507, "storeFull"), (503, "server:503"), (400, "server:400")])
    func httpAnswers(status: Int, kind: String) {
        #expect(FailureMapping.http(status: status, message: "", what: "https://x/").kindKey == kind)
    }

    @Test(arguments: [(7, "unreachable"), (6, "unreachable"), (52, "unreachable"), (56, "unreachable"),
                      (55, "unreachable"), (18, "unreachable"), (28, "timedOut"), (60, "tls"), (35, "tls"),
                      (77, "settings:the CA file cannot be read or holds no certificate (t): check ca_file in [upload]")])
    func transportFailures(code: Int, kind: String) {
        let error = FailureMapping.transport(code: code, text: "t", answerTooLarge: false, maxAnswerBytes: 1, what: "w")
        #expect(error.kindKey == kind)
    }

    @Test func retryable() {
        #expect(StoreError.server(status: 503, code: nil, message: "").isRetryable)
        #expect(StoreError.unreachable("x").isRetryable && StoreError.timedOut("x").isRetryable)
        #expect(!StoreError.credentials(status: 403, code: nil, message: "").isRetryable)
        #expect(!StoreError.tls("x").isRetryable && !StoreError.noBucket("x").isRetryable)
    }

    @Test func wordsForTheWrongSecret() {
        let error = FailureMapping.s3(status: 403, code: "SignatureDoesNotMatch", message: "", what: "s3://b/k")
        #expect(error.description
            == "the store refuses the secret (403 SignatureDoesNotMatch): check access_key_id and the secret in secret_file")
    }

    @Test func cleaningRemovesTheSecretAndControls() {
        let secret = StoreSecret("s3cr3t-value")
        #expect(FailureMapping.clean("a\nb s3cr3t-value c\u{7}", secret: secret) == "a b <secret> c")
        #expect(FailureMapping.clean(String(repeating: "x", count: 400), secret: secret).count == 301)
        // A secret inside its own mask is replaced once, not forever.
        #expect(FailureMapping.clean("answers", secret: StoreSecret("s")) == "an<secret>wer<secret>")
    }
}

@Suite struct SettingsTests {
    func s3(endpoint: String = "http://127.0.0.1:1", bucket: String = "b", prefix: String = "p",
            secret: String = "unit-test-secret", caFile: String? = nil, virtualHost: Bool = false) -> StoreTarget {
        StoreTarget(kind: .s3(bucket: bucket, prefix: prefix, endpoint: endpoint, region: "us-east-1",
                              accessKeyID: "a:b", virtualHostStyle: virtualHost),
                    secret: StoreSecret(secret), caFile: caFile)
    }

    @Test func refusedTargets() {
        let targets = [
            s3(endpoint: "ftp://x"), s3(bucket: ""), s3(bucket: "a/b"), s3(prefix: "/p"), s3(prefix: "p/"),
            s3(secret: ""), s3(caFile: "/nonexistent/ca.pem"), s3(endpoint: "http://[::1]:9", virtualHost: true),
            StoreTarget(kind: .http(baseURL: "https://x/no-slash", username: nil), secret: StoreSecret("t")),
            StoreTarget(kind: .http(baseURL: "https://x/", username: "a:b"), secret: StoreSecret("t")),
        ]
        for target in targets {
            #expect(throws: StoreError.self, "\(target.kind)") { _ = try StoreClient(target: target) }
            do { _ = try StoreClient(target: target) } catch {
                guard case .settings = error else { Issue.record("\(error) is not .settings"); continue }
            }
        }
    }

    @Test func listingNeedsS3() throws {
        let client = try StoreClient(target: StoreTarget(kind: .http(baseURL: "http://127.0.0.1:1/", username: nil),
                                                         secret: StoreSecret("t")))
        #expect(throws: StoreError.settings("listing needs an S3 store")) { _ = try client.list("") }
        #expect(throws: StoreError.self) { _ = try client.put("/abs", body: [], contentType: "text/plain") }
    }

    @Test func nothingListeningIsUnreachable() throws {
        let client = try StoreClient(target: s3(endpoint: "http://127.0.0.1:1"))
        do {
            _ = try client.put("k", body: [1], contentType: "application/octet-stream")
            Issue.record("a PUT to a closed port succeeded")
        } catch {
            #expect(error.kindKey == "unreachable")
            #expect(!error.description.contains("unit-test-secret"))
        }
    }
}
