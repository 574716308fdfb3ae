import Hashing
import StationTime
import StoreClient
import SystemSupport
import Testing

#if canImport(Glibc)
import Glibc
#endif

// The client against the real servers on 127.0.0.1 (Tests/Servers/stores): OpenStack Swift with s3api, nginx
// WebDAV over http and https, and the fault server. No mock of HTTP anywhere. One at a time: one test stops and
// restarts Swift, which the others must not see.

/// What `body` threw, as a StoreError (a test failure if it threw nothing).
func storeError(_ body: () throws -> Void) -> StoreError? {
    do {
        try body()
        Issue.record("expected a StoreError, got success")
        return nil
    } catch let error as StoreError {
        return error
    } catch {
        Issue.record("\(error) is not a StoreError")
        return nil
    }
}

func seconds(_ body: () throws -> Void) rethrows -> Double {
    let start = SystemClock.monotonicNanos()
    try body()
    return Double(SystemClock.monotonicNanos() - start) / 1e9
}

@Suite(.serialized, .enabled(if: Stores.testsEnabled, "no stores (STATION_AGENT_STORES): make test starts them"))
struct StoreServerTests {
    @Suite(.serialized) struct S3 {
        @Test(.timeLimit(.minutes(1))) func putThenGetPathStyle() throws {
            let stores = try Stores.required()
            let prefix = uniquePrefix("path")
            let client = try StoreClient(target: stores.s3(prefix: prefix))
            let file = countFile(station: "yq-yuxian-xiaohu", day: "2026-12-03")
            let receipt = try client.put(file.key, body: file.body, contentType: "application/json")
            #expect(receipt.status == 200)
            #expect(receipt.etag == MD5.hexDigest(file.body))
            #expect(receipt.answer == "200 etag \(MD5.hexDigest(file.body))")
            #expect(receipt.location == "s3://\(stores["STORES_S3_BUCKET"])/\(prefix)/\(file.key)")
            #expect(try client.get(file.key) == file.body)
            // The same key again (a rewritten count file) replaces it.
            let second = Array("{\"rewritten\":true}\n".utf8)
            #expect(try client.put(file.key, body: second, contentType: "application/json").etag == MD5.hexDigest(second))
            #expect(try client.get(file.key) == second)
            #expect(client.clockOffsetSeconds == nil)
        }

        @Test(.timeLimit(.minutes(1))) func putThenGetVirtualHostStyle() throws {
            let stores = try Stores.required()
            // Swift's storage_domain is "localhost"; libcurl resolves county-counts.localhost to 127.0.0.1.
            let client = try StoreClient(target: stores.s3(prefix: uniquePrefix("vhost"),
                                                           endpoint: stores["STORES_S3_VHOST_ENDPOINT"],
                                                           virtualHost: true))
            let file = countFile(station: "vhost-station", day: "2026-12-04")
            #expect(try client.put(file.key, body: file.body, contentType: "application/json").etag
                == MD5.hexDigest(file.body))
            #expect(try client.get(file.key) == file.body)
            #expect(try client.list("").map(\.key) == [file.key])
        }

        @Test(.timeLimit(.minutes(1))) func putThenGetOverTLS() throws {
            let stores = try Stores.required()
            let client = try StoreClient(target: stores.s3(prefix: uniquePrefix("tls"),
                                                           endpoint: stores["STORES_S3_TLS_ENDPOINT"],
                                                           caFile: stores["STORES_CA_FILE"]))
            let file = countFile(station: "tls-station", day: "2026-12-05")
            #expect(try client.put(file.key, body: file.body, contentType: "text/csv").etag == MD5.hexDigest(file.body))
            #expect(try client.get(file.key) == file.body)
            #expect(try client.probe().status == 200)
        }

        @Test(.timeLimit(.minutes(1))) func emptyAndOddBodiesAndKeys() throws {
            let stores = try Stores.required()
            let client = try StoreClient(target: stores.s3(prefix: uniquePrefix("odd")))
            let keys = ["date=2026-12-03/station=a b+c/小湖_2026-12-03.csv", "date=2026-12-03/x&y~z.json", "e"]
            for (index, key) in keys.enumerated() {
                let body = index == 2 ? [] : Array("row,\(index)\n".utf8)
                #expect(try client.put(key, body: body, contentType: "text/csv").etag == MD5.hexDigest(body))
                #expect(try client.get(key) == body)
            }
            #expect(try client.list("").map(\.key).sorted() == keys.sorted())
        }

        @Test(.timeLimit(.minutes(1))) func listingPaginates() throws {
            let stores = try Stores.required()
            let prefix = uniquePrefix("list")
            let client = try StoreClient(target: stores.s3(prefix: prefix), options: .init(listPageSize: 2))
            var expected: [String: [UInt8]] = [:]
            for day in ["2026-12-01", "2026-12-02", "2026-12-03"] {
                for station in ["s1", "s2"] {
                    let file = countFile(station: station, day: day, size: 100 + expected.count)
                    _ = try client.put(file.key, body: file.body, contentType: "application/json")
                    expected[file.key] = file.body
                }
            }
            let listed = try client.list("")
            #expect(listed.map(\.key) == expected.keys.sorted())
            for object in listed {
                #expect(object.size == Int64(expected[object.key]?.count ?? -1))
                #expect(object.etag == expected[object.key].map { MD5.hexDigest($0) })
            }
            #expect(try client.list("date=2026-12-02/").map(\.key)
                == ["date=2026-12-02/station=s1/s1_2026-12-02.json", "date=2026-12-02/station=s2/s2_2026-12-02.json"])
            #expect(try client.list("date=2027-01-01/").isEmpty)
        }

        @Test(.timeLimit(.minutes(1))) func wrongSecretIsCredentials() throws {
            let stores = try Stores.required()
            let wrong = StoreSecret("wrong-" + stores.s3Secret.value.prefix(8))
            let client = try StoreClient(target: stores.s3(prefix: uniquePrefix("wrong"), secret: wrong))
            for attempt in 0..<2 {
                let error = try #require(storeError { _ = try client.put("a.json", body: [1, 2], contentType: "application/json") })
                guard case .credentials(let status, let code, _) = error else {
                    Issue.record("\(error) is not .credentials")
                    return
                }
                #expect(status == 403 && code == "SignatureDoesNotMatch", "attempt \(attempt)")
                #expect(error.kindKey == "credentials:SignatureDoesNotMatch")
                #expect(error.description.contains("SignatureDoesNotMatch"))
                #expect(error.description.contains("secret_file"))
                #expect(!error.description.contains(wrong.value) && !error.description.contains(stores.s3Secret.value))
                #expect(!"\(error)".contains(wrong.value))
                #expect(!error.isRetryable)
            }
            let probe = try #require(storeError { _ = try client.probe() })
            #expect(probe.kindKey == "credentials:SignatureDoesNotMatch")
            let unknownKey = try StoreClient(target: StoreTarget(
                kind: .s3(bucket: stores["STORES_S3_BUCKET"], prefix: "p", endpoint: stores["STORES_S3_ENDPOINT"],
                          region: stores["STORES_S3_REGION"], accessKeyID: "nobody:here", virtualHostStyle: false),
                secret: wrong))
            let unknown = try #require(storeError { _ = try unknownKey.put("a", body: [1], contentType: "text/plain") })
            guard case .credentials = unknown else {
                Issue.record("\(unknown) is not .credentials")
                return
            }
        }

        @Test(.timeLimit(.minutes(1))) func missingBucketIsNoBucket() throws {
            let stores = try Stores.required()
            let client = try StoreClient(target: stores.s3(prefix: "p", bucket: "no-such-bucket-\(getpid())"))
            for _ in 0..<2 {
                let error = try #require(storeError { _ = try client.put("a.json", body: Array(repeating: 7, count: 2048),
                                                                           contentType: "application/json") })
                guard case .noBucket = error else {
                    Issue.record("\(error) is not .noBucket")
                    return
                }
                #expect(error.description.contains("no-such-bucket"))
                #expect(error.kindKey == "noBucket")
            }
            #expect(storeError { _ = try client.probe() }?.kindKey == "noBucket")
        }

        /// Swift answers some PUTs before reading their body (here a key over its 1024-byte limit) and then
        /// closes the connection without saying so; the next request on the same client must still succeed.
        @Test(.timeLimit(.minutes(1))) func goodPutAfterAnEarlyAnswerOnTheSameConnection() throws {
            let stores = try Stores.required()
            let client = try StoreClient(target: stores.s3(prefix: uniquePrefix("early")))
            let file = countFile(station: "early", day: "2026-12-06", size: 64 * 1024)
            for round in 0..<3 {
                let early = try #require(storeError {
                    _ = try client.put(String(repeating: "k", count: 1100), body: file.body, contentType: "application/json")
                })
                guard case .server(400, "KeyTooLongError", _) = early else {
                    Issue.record("round \(round): \(early) is not 400 KeyTooLongError")
                    return
                }
                #expect(try client.put(file.key, body: file.body, contentType: "application/json").etag
                    == MD5.hexDigest(file.body))
            }
            #expect(try client.get(file.key) == file.body)
        }

        @Test(.timeLimit(.minutes(1))) func storeStoppedThenRestarted() throws {
            let stores = try Stores.required()
            let client = try StoreClient(target: stores.s3(prefix: uniquePrefix("restart")))
            let file = countFile(station: "restart", day: "2026-12-07")
            _ = try client.put(file.key, body: file.body, contentType: "application/json")
            let stopped = stores.control("stop-s3")
            #expect(stopped.status == 0, "\(stopped.output)")
            var restarted = false
            defer { if !restarted { _ = stores.control("start-s3") } }
            for _ in 0..<2 {
                let error = try #require(storeError { _ = try client.put(file.key, body: file.body, contentType: "application/json") })
                guard case .unreachable = error else {
                    Issue.record("\(error) is not .unreachable")
                    return
                }
                #expect(error.isRetryable && error.kindKey == "unreachable")
            }
            let started = stores.control("start-s3")
            restarted = started.status == 0
            #expect(restarted, "\(started.output)")
            #expect(try client.put(file.key, body: file.body, contentType: "application/json").etag == MD5.hexDigest(file.body))
            #expect(try client.get(file.key) == file.body)
        }

        /// Swift refuses a request signed 20 minutes or 3 years off (RequestTimeTooSkewed, beyond its 15 minutes);
        /// the client signs again with the store's `Date`, and keeps that offset for the next requests.
        @Test(.timeLimit(.minutes(1)), arguments: [Int64(20 * 60), -Int64(20 * 60), Int64(3 * 365 * 86_400), -Int64(3 * 365 * 86_400)])
        func clockOff(shift: Int64) throws {
            let stores = try Stores.required()
            let client = try StoreClient(target: stores.s3(prefix: uniquePrefix("skew")),
                                         options: .init(clockShiftSeconds: shift))
            #expect(client.clockOffsetSeconds == nil)
            let file = countFile(station: "skew", day: "2026-12-08")
            #expect(try client.put(file.key, body: file.body, contentType: "application/json").etag == MD5.hexDigest(file.body))
            let offset = try #require(client.clockOffsetSeconds, "the store did not answer RequestTimeTooSkewed")
            #expect(abs(offset + shift) <= 5, "learned \(offset) for a clock \(shift) s off")
            #expect(try client.get(file.key) == file.body)
            #expect(try client.list("").count == 1)
            #expect(client.clockOffsetSeconds == offset)
        }

        @Test(.timeLimit(.minutes(1))) func probeOfAGoodBucket() throws {
            let stores = try Stores.required()
            let receipt = try StoreClient(target: stores.s3(prefix: "yuxian")).probe()
            #expect(receipt.status == 200)
            #expect(receipt.location == "s3://\(stores["STORES_S3_BUCKET"])/yuxian/")
        }

        /// The uploader's backlog after 60 days offline: 120 count files of about 2 KB on one client.
        @Test(.timeLimit(.minutes(2))) func backlogOf120Files() throws {
            let stores = try Stores.required()
            let client = try StoreClient(target: stores.s3(prefix: uniquePrefix("backlog")))
            var files: [(key: String, body: [UInt8])] = []
            for day in 0..<60 {
                let date = "2026-\(day < 30 ? "10" : "11")-\(String(format2: day % 30 + 1))"
                let json = countFile(station: "backlog", day: date)
                files.append(json)
                files.append((String(json.key.dropLast(4)) + "csv", Array(json.body.reversed())))
            }
            let elapsed = try seconds {
                for file in files {
                    let receipt = try client.put(file.key, body: file.body, contentType: "application/json")
                    #expect(receipt.etag == MD5.hexDigest(file.body))
                }
            }
            print("StoreClientTests: 120 PUTs of ~2 KB to the loopback Swift store took \(elapsed) s")
            #expect(try client.list("").count == 120)
        }
    }

    @Suite(.serialized) struct HTTP {
        @Test(.timeLimit(.minutes(1))) func bearerOverTLS() throws {
            let stores = try Stores.required()
            let base = stores["STORES_HTTPS_URL"] + "/bearer/" + uniquePrefix("bearer") + "/"
            let client = try StoreClient(target: stores.http(base, caFile: stores["STORES_CA_FILE"]))
            let file = countFile(station: "bearer", day: "2026-12-03")
            let first = try client.put(file.key, body: file.body, contentType: "application/json")
            #expect(first.status == 201)
            #expect(first.location == base + "date%3D2026-12-03/station%3Dbearer/bearer_2026-12-03.json")
            #expect(try client.put(file.key, body: file.body, contentType: "application/json").status == 204)
            #expect(try client.get(file.key) == file.body)
            // On nginx's disk under the plain key.
            let onDisk = stores["STORES_HTTP_ROOT"] + String(base.dropFirst(stores["STORES_HTTPS_URL"].count)) + file.key
            #expect(try SystemFile.read(onDisk).get() == file.body)
            #expect(try client.probe().status == 403)  // the folder is not listed; the credentials are accepted
        }

        @Test(.timeLimit(.minutes(1))) func basicAuthOverTLS() throws {
            let stores = try Stores.required()
            let base = stores["STORES_HTTPS_URL"] + "/basic/" + uniquePrefix("basic") + "/"
            let client = try StoreClient(target: stores.http(base, username: stores["STORES_BASIC_USER"],
                                                             secret: stores.basicPassword, caFile: stores["STORES_CA_FILE"]))
            let file = countFile(station: "basic", day: "2026-12-03")
            #expect(try client.put(file.key, body: file.body, contentType: "application/json").status == 201)
            #expect(try client.get(file.key) == file.body)
            #expect(try client.probe().status == 403)
            let wrong = try StoreClient(target: stores.http(base, username: stores["STORES_BASIC_USER"],
                                                            secret: StoreSecret("not-the-password"),
                                                            caFile: stores["STORES_CA_FILE"]))
            let error = try #require(storeError { _ = try wrong.put("x", body: [1], contentType: "text/plain") })
            #expect(error.kindKey == "credentials:401")
            #expect(!error.description.contains("not-the-password"))
            #expect(storeError { _ = try wrong.probe() }?.kindKey == "credentials:401")
        }

        @Test(.timeLimit(.minutes(1))) func wrongTokenIsCredentials() throws {
            let stores = try Stores.required()
            let client = try StoreClient(target: stores.http(stores["STORES_HTTPS_URL"] + "/bearer/",
                                                             secret: StoreSecret("wrong-token-1234"),
                                                             caFile: stores["STORES_CA_FILE"]))
            let error = try #require(storeError { _ = try client.put("x.json", body: [1], contentType: "application/json") })
            guard case .credentials(401, nil, _) = error else {
                Issue.record("\(error) is not 401 credentials")
                return
            }
            #expect(!error.description.contains("wrong-token-1234"))
            #expect(!error.isRetryable)
            #expect(storeError { _ = try client.probe() }?.kindKey == "credentials:401")
        }

        @Test(.timeLimit(.minutes(1))) func unavailableIsARetryableServerError() throws {
            let stores = try Stores.required()
            let client = try StoreClient(target: stores.http(stores["STORES_HTTP_URL"] + "/unavailable/"))
            for _ in 0..<3 {
                let error = try #require(storeError { _ = try client.put("x.json", body: Array(repeating: 1, count: 2048),
                                                                           contentType: "application/json") })
                guard case .server(503, _, _) = error else {
                    Issue.record("\(error) is not 503")
                    return
                }
                #expect(error.isRetryable && error.kindKey == "server:503")
            }
        }

        @Test(.timeLimit(.minutes(1))) func bodyOverTheLimitIsTooLarge() throws {
            let stores = try Stores.required()
            let client = try StoreClient(target: stores.http(stores["STORES_HTTP_URL"] + "/tiny/" + uniquePrefix("tiny") + "/"))
            #expect(try client.put("small.json", body: Array(repeating: 1, count: 50), contentType: "application/json").status == 201)
            let error = try #require(storeError { _ = try client.put("big.json", body: Array(repeating: 1, count: 4096),
                                                                       contentType: "application/json") })
            #expect(error.kindKey == "tooLarge")
            #expect(!error.isRetryable)
            // The connection nginx may have closed after the 413 does not break the next request.
            #expect(try client.put("small.json", body: Array(repeating: 2, count: 50), contentType: "application/json").status == 204)
        }

        /// A URL where nginx takes no uploads (405), and a key where a folder is in the way (409).
        @Test(.timeLimit(.minutes(1))) func wrongFolderIsNoBucket() throws {
            let stores = try Stores.required()
            let nowhere = try StoreClient(target: stores.http(stores["STORES_HTTP_URL"] + "/nowhere/"))
            let error = try #require(storeError { _ = try nowhere.put("x.json", body: [1], contentType: "application/json") })
            #expect(error.kindKey == "noBucket")
            #expect(error.description.contains("405"))
            let base = stores["STORES_HTTP_URL"] + "/bearer/" + uniquePrefix("folder") + "/"
            let client = try StoreClient(target: stores.http(base))
            _ = try client.put("day/x.json", body: [1], contentType: "application/json")
            let inTheWay = try #require(storeError { _ = try client.put("day", body: [1], contentType: "application/json") })
            #expect(inTheWay.kindKey == "noBucket")
            #expect(inTheWay.description.contains("409"))
        }

        @Test(.timeLimit(.minutes(1))) func slowAnswerTimesOut() throws {
            let stores = try Stores.required()
            for base in [stores["STORES_HTTP_URL"] + "/slow/", stores["STORES_FAULT_URL"] + "/stall/"] {
                let client = try StoreClient(target: stores.http(base, lowSpeedSeconds: 2))
                var error: StoreError?
                let elapsed = seconds { error = storeError { _ = try client.put("x.json", body: [1], contentType: "application/json") } }
                #expect(error?.kindKey == "timedOut", "\(base): \(String(describing: error))")
                #expect(error?.isRetryable == true)
                #expect(elapsed >= 1.5 && elapsed < 10, "\(base): \(elapsed) s")
            }
        }

        @Test(.timeLimit(.minutes(1))) func certificateFromAnotherCAIsTLS() throws {
            let stores = try Stores.required()
            for target in [stores.http(stores["STORES_HTTPS_URL"] + "/bearer/", caFile: stores["STORES_OTHER_CA_FILE"]),
                           stores.http(stores["STORES_HTTPS_URL"] + "/bearer/"),  // the system's CAs
                           stores.s3(prefix: "p", endpoint: stores["STORES_S3_TLS_ENDPOINT"],
                                     caFile: stores["STORES_OTHER_CA_FILE"])] {
                let client = try StoreClient(target: target)
                let error = try #require(storeError { _ = try client.put("x.json", body: [1], contentType: "application/json") })
                guard case .tls = error else {
                    Issue.record("\(error) is not .tls")
                    continue
                }
                #expect(error.description.contains("ca_file"))
                #expect(!error.isRetryable)
                #expect(storeError { _ = try client.probe() }?.kindKey == "tls")
            }
        }

        @Test(.timeLimit(.minutes(1))) func connectionResetIsUnreachable() throws {
            let stores = try Stores.required()
            for path in ["/reset-request/", "/reset-answer/"] {
                let client = try StoreClient(target: stores.http(stores["STORES_FAULT_URL"] + path))
                let error = try #require(storeError {
                    _ = try client.put("x.json", body: Array(repeating: 9, count: 256 * 1024), contentType: "application/json")
                })
                guard case .unreachable = error else {
                    Issue.record("\(path): \(error) is not .unreachable")
                    continue
                }
                #expect(error.isRetryable)
            }
        }

        /// A kept connection that the server drops on the next request (unanswered) costs one resend on a new
        /// connection, not a failure.
        @Test(.timeLimit(.minutes(1))) func keptConnectionDroppedByTheServer() throws {
            let stores = try Stores.required()
            // libcurl 7.88 resends such a request itself ("Connection died, retrying a fresh connect"); the
            // client's own one resend is for what libcurl does not catch. Either way: no failure.
            for path in ["/keepalive-once/", "/keepalive-reset/"] {
                let client = try StoreClient(target: stores.http(stores["STORES_FAULT_URL"] + path))
                for round in 0..<3 {
                    #expect(try client.put("x\(round).json", body: Array(repeating: 3, count: 2048),
                                           contentType: "application/json").status == 201, "\(path) \(round)")
                }
            }
        }

        @Test(.timeLimit(.minutes(1))) func caFileThatCannotBeUsed() throws {
            let stores = try Stores.required()
            let notPEM = stores["STORES_DIR"] + "/env"  // readable, but no certificate in it
            let client = try StoreClient(target: stores.http(stores["STORES_HTTPS_URL"] + "/bearer/", caFile: notPEM))
            let error = try #require(storeError { _ = try client.put("x", body: [1], contentType: "text/plain") })
            guard case .settings = error else {
                Issue.record("\(error) is not .settings")
                return
            }
        }
    }
}

extension String {
    /// Two digits.
    init(format2 value: Int) { self = value < 10 ? "0\(value)" : "\(value)" }
}
