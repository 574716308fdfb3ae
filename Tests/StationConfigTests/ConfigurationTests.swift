import HumanWords
import Testing
import StationConfig
import ParcelRules
import ScannerProtocols

@Suite("Configuration")
struct ConfigurationTests {
    let environment = ["STATION_AGENT_DATA_DIR": "/tmp/station-agent-test"]

    @Test("the SPEC §3 example parses into every field")
    func specExample() throws {
        let text = """
            station_id   = "yq-yuxian-xiaohu"
            station_name = "小湖村快递便民服务点"
            timezone     = "Asia/Shanghai"
            data_dir     = "/var/lib/station-agent"
            outbox_dir   = "/var/lib/station-agent/outbox"
            duplicate_window_seconds = 5
            stale_after_days = 3
            count_refresh_seconds = 300
            photo_retention_days = 90
            language = "zh"

            [[devices]]
            name        = "desk-scanner"
            vendor_id   = "0c2e"
            product_id  = "0b61"
            serial      = "17250B1234"
            port        = "1-1.2"
            protocol    = "auto"
            role        = "switchable"
            feedback = { ok = "OK\\r\\n", not_in_stock = "NG\\r\\n", already_released = "NG\\r\\n", rejected = "NG\\r\\n" }
            """
        let configuration = try StationConfiguration.parse(text, source: "station-agent.toml", environment: environment)
        #expect(configuration.stationID == "yq-yuxian-xiaohu")
        #expect(configuration.stationName == "小湖村快递便民服务点")
        #expect(configuration.timezone == "Asia/Shanghai")
        #expect(configuration.dataDirectory == "/var/lib/station-agent")
        #expect(configuration.journalPath == "/var/lib/station-agent/journal.sqlite3")
        #expect(configuration.outboxDirectory == "/var/lib/station-agent/outbox")
        #expect(configuration.duplicateWindowSeconds == 5)
        #expect(configuration.staleAfterDays == 3)
        #expect(configuration.countRefreshSeconds == 300)
        #expect(configuration.photoRetentionDays == 90)
        let device = try #require(configuration.devices.first)
        #expect(device.name == "desk-scanner")
        #expect(device.vendorID == 0x0c2e)
        #expect(device.productID == 0x0b61)
        #expect(device.serial == "17250B1234")
        #expect(device.port == "1-1.2")
        #expect(device.scannerProtocol == nil, "auto")
        #expect(device.role == .switchable)
        #expect(device.feedback.bytes(for: .ok) == Array("OK\r\n".utf8))
        #expect(device.feedback.bytes(for: .notInStock) == Array("NG\r\n".utf8))
    }

    @Test("photo_retention_days is checked; a camera device (protocol uvc) gets its frame, 640x480@15 unless given")
    func photosAndCameras() throws {
        #expect(try StationConfiguration.parse("photo_retention_days = 30", source: nil, environment: environment).photoRetentionDays == 30)
        #expect(try StationConfiguration.parse("", source: nil, environment: environment).photoRetentionDays == 90)
        #expect(throws: ConfigurationError.self) {
            try StationConfiguration.parse("photo_retention_days = 0", source: nil, environment: environment)
        }
        let entry = "[[devices]]\nname = \"cam\"\nvendor_id = \"046d\"\nprotocol = \"uvc\"\nrole = \"outbound\"\n"
        let camera = try StationConfiguration.parse(entry, source: nil, environment: environment).devices[0]
        #expect(camera.camera == DeviceConfiguration.CameraFrame(width: 640, height: 480, framesPerSecond: 15))
        #expect(camera.scannerProtocol == nil)
        let sized = try StationConfiguration.parse(entry + "frame = \"1280x720@30\"\n", source: nil, environment: environment)
        #expect(sized.devices[0].camera == DeviceConfiguration.CameraFrame(width: 1280, height: 720, framesPerSecond: 30))
        let anyRate = try StationConfiguration.parse(entry + "frame = \"320x240\"\n", source: nil, environment: environment)
        #expect(anyRate.devices[0].camera?.framesPerSecond == nil)
        for bad in ["640x480@0", "640*480", "x480", "640x480@", "99999x480", "640x480@15@15", "６４０x480"] {
            do {
                _ = try StationConfiguration.parse(entry + "frame = \"\(bad)\"\n", source: nil, environment: environment)
                Issue.record("frame \(bad) was accepted")
            } catch {
                #expect(error.key == "devices[1].frame" && error.reason.description.contains("640x480@15"), "\(error)")
            }
        }
        // protocol "auto" (or none) with a frame: only a camera has one, so it is a camera.
        let auto = try StationConfiguration.parse(
            "[[devices]]\nname = \"cam\"\nvendor_id = \"046d\"\nframe = \"320x240@5\"\n", source: nil, environment: environment)
        #expect(auto.devices[0].camera == DeviceConfiguration.CameraFrame(width: 320, height: 240, framesPerSecond: 5))
        // `frame` on a scanner is a mistake to say, not to ignore.
        do {
            _ = try StationConfiguration.parse(
                "[[devices]]\nname = \"desk\"\nvendor_id = \"0c2e\"\nprotocol = \"hid-pos\"\nframe = \"640x480@15\"\n", source: nil,
                environment: environment)
            Issue.record("frame on a scanner was accepted")
        } catch {
            #expect(error.reason.description.contains("cameras only"), "\(error)")
        }
    }

    @Test("an empty file gives the defaults: host name, system zone, data in the given folder")
    func defaults() throws {
        let configuration = try StationConfiguration.parse("", source: nil, environment: environment)
        #expect(StationConfiguration.isValidStationID(configuration.stationID))
        #expect(configuration.timezone == nil)
        #expect(configuration.dataDirectory == "/tmp/station-agent-test")
        #expect(configuration.outboxDirectory == "/tmp/station-agent-test/outbox")
        #expect(configuration.duplicateWindowSeconds == 5)
        #expect(configuration.devices.isEmpty)
    }

    @Test("no file at the default path means built-in defaults; a named file must exist")
    func missingFiles() throws {
        let missing = "/nonexistent/station-agent.toml"
        let error = #expect(throws: ConfigurationError.self) {
            _ = try StationConfiguration.load(explicitPath: missing, environment: environment)
        }
        #expect(error?.description.contains("does not exist") == true)
        let fromEnvironment = #expect(throws: ConfigurationError.self) {
            _ = try StationConfiguration.load(explicitPath: nil, environment: ["STATION_AGENT_CONFIG": missing])
        }
        #expect(fromEnvironment?.source == missing)
    }

    @Test(
        "every error names the key, the value and why",
        arguments: [
            ("station_id = \"../etc\"", "station_id", "\"../etc\"", "starting with a letter or digit"),
            ("station_id = \"a/b\"", "station_id", "\"a/b\"", "A-Z"),
            ("station_id = 42", "station_id", "42", "must be a string"),
            ("timezone = \"Mars/Olympus\"", "timezone", "\"Mars/Olympus\"", "not a time zone"),
            ("timezone = \"../../etc/passwd\"", "timezone", "\"../../etc/passwd\"", "not an IANA time zone name"),
            ("duplicate_window_seconds = -1", "duplicate_window_seconds", "-1", "from 0 to 86400"),
            ("duplicate_window_seconds = \"5\"", "duplicate_window_seconds", "\"5\"", "whole number"),
            ("stale_after_days = 0", "stale_after_days", "0", "from 1 to 365"),
            ("count_refresh_seconds = 1", "count_refresh_seconds", "1", "from 10 to 86400"),
            ("data_dir = \"/\"", "data_dir", "\"/\"", "system directory"),
            ("outbox_dir = \"/etc\"", "outbox_dir", "\"/etc\"", "system directory"),
            ("data_dir = \"/usr/bin\"", "data_dir", "\"/usr/bin\"", "system directory"),
            ("data_dir = \"/etc/ssh\"", "data_dir", "\"/etc/ssh\"", "system directory"),
            ("data_dir = \"/lib\"", "data_dir", "\"/lib\"", "system directory"),
            ("data_dir = \"/var\"", "data_dir", "\"/var\"", "system directory"),
            ("outbox_dir = \"/tmp\"", "outbox_dir", "\"/tmp\"", "system directory"),
            ("outbox_dir = \"/root\"", "outbox_dir", "\"/root\"", "system directory"),
            ("data_dir = \"/var/lib/../../proc/1\"", "data_dir", "\"/var/lib/../../proc/1\"", "system directory"),
            ("colour = \"blue\"", "colour", "\"blue\"", "not a known setting"),
            ("[[devices]]\nvendor_id = \"0c2e\"", "devices[1].name", nil, "is missing"),
            ("[[devices]]\nname = \"manual\"\nvendor_id = \"0c2e\"", "devices[1].name", "\"manual\"", "reserved"),
            ("[[devices]]\nname = \"a\"\nvendor_id = \"c2e\"", "devices[1].vendor_id", "\"c2e\"", "4 hexadecimal digits"),
            ("[[devices]]\nname = \"a\"\nvendor_id = \"zzzz\"", "devices[1].vendor_id", "\"zzzz\"", "4 hexadecimal digits"),
            ("[[devices]]\nname = \"a\"\nvendor_id = \"+c2e\"", "devices[1].vendor_id", "\"+c2e\"", "4 hexadecimal digits"),
            ("[[devices]]\nname = \"a\"\nvendor_id = \"0c2e\"\nproduct_id = \"-001\"", "devices[1].product_id", "\"-001\"", "4 hexadecimal digits"),
            ("[[devices]]\nname = \"a\"\nport = \"usb1\"", "devices[1].port", "\"usb1\"", "port path"),
            ("[[devices]]\nname = \"a\"\nvendor_id = \"0c2e\"\nprotocol = \"bluetooth\"", "devices[1].protocol", "\"bluetooth\"", "hid-keyboard"),
            ("[[devices]]\nname = \"a\"\nvendor_id = \"0c2e\"\nrole = \"both\"", "devices[1].role", "\"both\"", "switchable"),
            ("[[devices]]\nname = \"a\"\nvendor_id = \"0c2e\"\nspeed = 9600", "devices[1].speed", "9600", "not a known setting"),
            ("[[devices]]\nname = \"a\"\nvendor_id = \"0c2e\"\nfeedback = { ok = \"OK\", beep = \"x\" }", "devices[1].feedback.beep", "\"x\"", "not a known setting"),
            ("[[devices]]\nname = \"a\"", "devices[1].name", "\"a\"", "at least one of vendor_id"),
            ("[[devices]]\nname = \"a\"\nvendor_id = \"0c2e\"\n[[devices]]\nname = \"a\"\nport = \"1-2\"", "devices[2].name", "\"a\"", "unique"),
            ("devices = \"all\"", "devices", "\"all\"", "array of tables"),
        ] as [(String, String, String?, String)])
    func errors(text: String, key: String, value: String?, reason: String) {
        let error = #expect(throws: ConfigurationError.self) {
            _ = try StationConfiguration.parse(text, source: "/etc/station-agent/station-agent.toml", environment: environment)
        }
        #expect(error?.key == key)
        #expect(error?.value == value)
        #expect(error?.reason.description.contains(reason) == true, "\(String(describing: error))")
        #expect(error?.description.hasPrefix("configuration error in /etc/station-agent/station-agent.toml: \(key)") == true)
    }

    @Test("broken TOML says where")
    func brokenTOML() {
        let error = #expect(throws: ConfigurationError.self) {
            _ = try StationConfiguration.parse("station_id = \"abc\nfoo", source: "x.toml", environment: environment)
        }
        #expect(error?.reason.description.contains("line 1") == true, "\(String(describing: error))")
    }

    @Test("a relative data_dir is relative to the configuration file")
    func relativeDataDirectory() throws {
        let configuration = try StationConfiguration.parse(
            "data_dir = \"data\"", source: "/opt/station/station-agent.toml", environment: environment)
        #expect(configuration.dataDirectory == "/opt/station/data")
        #expect(configuration.outboxDirectory == "/opt/station/data/outbox")
    }

    @Test(
        "host names become valid station IDs",
        arguments: [("box-01.local", "box-01.local"), ("村点 1", "1"), ("--x", "x"), ("", "station"), ("树", "station")])
    func sanitizedHostNames(host: String, expected: String) {
        #expect(StationConfiguration.sanitizedStationID(host) == expected)
        #expect(StationConfiguration.isValidStationID(StationConfiguration.sanitizedStationID(host)))
    }
}
