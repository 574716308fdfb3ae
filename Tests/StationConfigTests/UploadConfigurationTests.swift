import HumanWords
import StationConfig
import Testing

/// `[upload]` (SPEC §3): what a technician writes, and every mistake refused with the key, the value and why.
@Suite("Upload settings")
struct UploadConfigurationTests {
    let environment = ["STATION_AGENT_DATA_DIR": "/tmp/station-agent-test"]

    func parse(_ upload: String) throws -> StationConfiguration {
        try StationConfiguration.parse("station_id = \"xiaohu\"\n[upload]\n" + upload, source: "/etc/station-agent/station-agent.toml", environment: environment)
    }

    func refusal(_ upload: String) -> ConfigurationError? {
        #expect(throws: ConfigurationError.self) { _ = try parse(upload) }
    }

    @Test("an S3 target as SPEC §3 writes it: bucket, prefix, endpoint, region, key, secret, CA, interval")
    func s3Target() throws {
        let configuration = try parse("""
            url = "s3://county-counts/yuxian/"
            endpoint = "https://oss.county.example/"
            region = "cn-north-1"
            access_key_id = "station-xiaohu"
            secret_file = "upload.secret"
            ca_file = "/etc/station-agent/county-ca.pem"
            interval_seconds = 120
            """)
        let upload = try #require(configuration.upload)
        #expect(upload.destination == .s3(bucket: "county-counts", prefix: "yuxian"))
        #expect(upload.endpoint == "https://oss.county.example")
        #expect(upload.region == "cn-north-1")
        #expect(upload.accessKeyID == "station-xiaohu")
        #expect(upload.secretFile == "/etc/station-agent/upload.secret", "relative to the configuration's folder")
        #expect(upload.caFile == "/etc/station-agent/county-ca.pem")
        #expect(upload.intervalSeconds == 120)
        #expect(upload.virtualHostStyle == false)
        #expect(upload.url == "s3://county-counts/yuxian/")
    }

    @Test("defaults: region us-east-1, AWS's endpoint, 300 s; an access key with a colon (Swift's tempauth) is kept whole")
    func defaults() throws {
        let upload = try #require(try parse("""
            url = "s3://county-counts"
            access_key_id = "county:xiaohu"
            secret_file = "/etc/station-agent/upload.secret"
            addressing_style = "virtual"
            """).upload)
        #expect(upload.destination == .s3(bucket: "county-counts", prefix: ""))
        #expect(upload.endpoint == "https://s3.us-east-1.amazonaws.com")
        #expect(upload.intervalSeconds == 300)
        #expect(upload.accessKeyID == "county:xiaohu")
        #expect(upload.virtualHostStyle)
    }

    @Test("a plain PUT target: https with basic auth or a bearer token; the URL always ends in a slash")
    func httpTarget() throws {
        let basic = try #require(try parse("""
            url = "https://counts.county.example/dav"
            username = "xiaohu"
            secret_file = "/etc/station-agent/upload.secret"
            """).upload)
        #expect(basic.destination == .http(baseURL: "https://counts.county.example/dav/"))
        #expect(basic.username == "xiaohu")
        let bearer = try #require(try parse("""
            url = "http://127.0.0.1:8080/counts/"
            secret_file = "/etc/station-agent/token"
            """).upload)
        #expect(bearer.destination == .http(baseURL: "http://127.0.0.1:8080/counts/"))
        #expect(bearer.username == nil)
    }

    @Test("no [upload]: nothing is uploaded")
    func absent() throws {
        let configuration = try StationConfiguration.parse("station_id = \"xiaohu\"\n", source: nil, environment: environment)
        #expect(configuration.upload == nil)
    }

    @Test("mistakes are refused, naming the key and saying what to write", arguments: [
        ("secret_file = \"/s\"", "upload.url", "is missing"),
        ("url = \"ftp://x/y\"\nsecret_file = \"/s\"", "upload.url", "must start with s3://"),
        ("url = \"s3://AB/x\"\naccess_key_id = \"k\"\nsecret_file = \"/s\"", "upload.url", "bucket"),
        ("url = \"s3://bucket/../x\"\naccess_key_id = \"k\"\nsecret_file = \"/s\"", "upload.url", "prefix"),
        ("url = \"s3://bucket/x\"\nsecret_file = \"/s\"", "upload.access_key_id", "is missing"),
        ("url = \"s3://bucket/x\"\naccess_key_id = \"k\"", "upload.secret_file", "is missing"),
        ("url = \"http://counts.example/x/\"\nsecret_file = \"/s\"", "upload.url", "unencrypted"),
        ("url = \"https://user@counts.example/x/\"\nsecret_file = \"/s\"", "upload.url", "not a plain https URL"),
        ("url = \"https://counts.example/x/\"\nsecret_file = \"/s\"\naccess_key_id = \"k\"", "upload.access_key_id", "s3:// url only"),
        ("url = \"s3://bucket/x\"\naccess_key_id = \"k\"\nsecret_file = \"/s\"\nusername = \"u\"", "upload.username", "https:// url only"),
        ("url = \"s3://bucket/x\"\naccess_key_id = \"k\"\nsecret_file = \"/s\"\nendpoint = \"oss.example\"", "upload.endpoint", "the store's address"),
        ("url = \"s3://bucket/x\"\naccess_key_id = \"k\"\nsecret_file = \"/s\"\ninterval_seconds = 1", "upload.interval_seconds", "from 10 to 86400"),
        ("url = \"s3://bucket/x\"\naccess_key_id = \"k\"\nsecret_file = \"/s\"\nregion = \"us east\"", "upload.region", "region name"),
        ("url = \"s3://bucket/x\"\naccess_key_id = \"k\"\nsecret_file = \"/s\"\naddressing_style = \"dns\"", "upload.addressing_style", "\"path\""),
        ("url = \"s3://bucket/x\"\naccess_key_id = \"k\"\nsecret_file = \"/s\"\nsecret = \"abc\"", "upload.secret", "not a known setting"),
    ])
    func refused(_ text: String, _ key: String, _ words: String) {
        let error = refusal(text)
        #expect(error?.key == key, "\(String(describing: error))")
        #expect(error?.reason.description.contains(words) == true, "\(String(describing: error))")
        #expect(error?.description.contains("abc") != true, "a secret written into the file is not echoed")
    }
}
