import Foundation
import Testing
import USBEmulator

/// SPEC §2: every field of human output is printed with control characters escaped. A barcode, a USB string or a
/// typed argument with ESC, a newline or a C0 byte must never reach the terminal, the log or a CSV raw.
@Suite("control characters never reach a terminal, a log or a CSV raw")
struct ControlCharacterTests {
    /// The control characters (C0, DEL, C1) in `text` other than the line feeds that end lines.
    static func rawControls(_ text: String) -> [String] {
        text.unicodeScalars.filter { ($0.value < 0x20 && $0 != "\n") || (0x7F...0x9F).contains($0.value) }
            .map { "U+" + String($0.value, radix: 16) }
    }

    /// The text of a CSV written for Excel (`scans --csv`, `stock --csv`): nil unless it starts with the UTF-8 byte
    /// order mark and every line ends with CRLF (a lone CR or LF is neither); then without the mark, lines ended by LF.
    static func excelCSV(_ text: String) -> String? {
        let scalars = Array(text.unicodeScalars)
        guard scalars.first == "\u{FEFF}", scalars.last == "\n" else { return nil }
        var body = ""
        var index = 1
        while index < scalars.count {
            let scalar = scalars[index]
            if scalar == "\r" {
                guard index + 1 < scalars.count, scalars[index + 1] == "\n" else { return nil }
                body.unicodeScalars.append("\n")
                index += 2
                continue
            }
            if scalar == "\n" { return nil }
            body.unicodeScalars.append(scalar)
            index += 1
        }
        return body
    }

    /// A CSV parsed as a spreadsheet reads it (RFC 4180: quoted cells, doubled quotes, line breaks in quotes).
    static func parseCSV(_ text: String) -> [[String]] {
        var rows: [[String]] = []
        var row: [String] = []
        var cell = ""
        var quoted = false
        var scalars = Array(text.unicodeScalars)[...]
        while let scalar = scalars.popFirst() {
            if quoted {
                if scalar == "\"" {
                    if scalars.first == "\"" { cell.unicodeScalars.append("\""); scalars.removeFirst() } else { quoted = false }
                } else {
                    cell.unicodeScalars.append(scalar)
                }
            } else if scalar == "\"" && cell.isEmpty {
                quoted = true
            } else if scalar == "," {
                row.append(cell); cell = ""
            } else if scalar == "\n" {
                row.append(cell); rows.append(row); row = []; cell = ""
            } else {
                cell.unicodeScalars.append(scalar)
            }
        }
        if !cell.isEmpty || !row.isEmpty { row.append(cell); rows.append(row) }
        return rows
    }

    /// Codes as a hostile label would carry them: terminal escapes (OSC title, CSI clear), C0 bytes, a newline
    /// followed by a forged log line, CR, TAB.
    static let hostileCodes = [
        "X\u{1B}]0;owned\u{07}\u{01}Y", "Z\u{1B}[2J\u{1B}[31mRED", "X\n2026-12-03T22:00:00+0800 CRITICAL JOURNAL CORRUPT",
        "A\rB", "T\tAB",
    ]

    @Test("scan's outcome line, the scans table and scans --csv escape every control character of every field",
        .timeLimit(.minutes(1)))
    func scanAndScansEscape() throws {
        let directory = try scratchDirectory("escape-scans")
        defer { try? FileManager.default.removeItem(at: directory) }
        let environment = ["STATION_AGENT_DATA_DIR": directory.path, "STATION_AGENT_CONFIG": "", "TZ": "Asia/Shanghai"]
        for code in Self.hostileCodes {
            let scan = try AgentProcess.agent(["scan", code, "--in"], environment: environment)
            #expect(scan.status == 0, "\(scan.standardError)")
            #expect(Self.rawControls(scan.standardOutput).isEmpty, "scan printed \(Self.rawControls(scan.standardOutput)) raw")
            #expect(scan.standardOutput.split(separator: "\n").count == 1, "one line per scan: \(scan.standardOutput.debugDescription)")
        }
        let first = try AgentProcess.agent(["scan", Self.hostileCodes[0], "--in"], environment: environment)
        #expect(first.standardOutput.contains("X\\x1b]0;OWNED\\x07\\x01Y"), "escaped, not dropped: \(first.standardOutput)")

        let table = try AgentProcess.agent(["scans"], environment: environment)
        #expect(table.status == 0, "\(table.standardError)")
        #expect(Self.rawControls(table.standardOutput).isEmpty, "scans printed \(Self.rawControls(table.standardOutput)) raw")
        #expect(table.standardOutput.split(separator: "\n").count == 1 + Self.hostileCodes.count + 1, "\(table.standardOutput)")
        #expect(!table.standardOutput.contains("\nCRITICAL") && !table.standardOutput.contains("\n2026-12-03T22"))

        let csv = try AgentProcess.agent(["scans", "--csv"], environment: environment)
        #expect(csv.status == 0, "\(csv.standardError)")
        let csvText = try #require(Self.excelCSV(csv.standardOutput), "BOM and CRLF: \(csv.standardOutput.debugDescription)")
        #expect(Self.rawControls(csvText).isEmpty, "scans --csv carries \(Self.rawControls(csvText)) raw")
        let rows = Self.parseCSV(csvText)
        #expect(rows.count == 1 + Self.hostileCodes.count + 1, "a header and one row per event:\n\(csvText)")
        #expect(rows.allSatisfy { $0.count == 13 }, "every row has the header's 13 cells: \(rows.map(\.count))")
        #expect(rows.dropFirst().allSatisfy { !$0[2].contains("\n") && !$0[2].contains("\t") }, "the code cell is escaped")
    }

    @Test("an error message that echoes a typed --device name escapes it", .timeLimit(.minutes(1)))
    func errorEchoEscapes() throws {
        let directory = try scratchDirectory("escape-error")
        defer { try? FileManager.default.removeItem(at: directory) }
        let environment = ["STATION_AGENT_DATA_DIR": directory.path, "STATION_AGENT_CONFIG": ""]
        let result = try AgentProcess.agent(
            ["scan", "SF1122334455667", "--in", "--device", "evil\u{1B}]0;owned\u{07}\n\u{1B}[2J"], environment: environment)
        #expect(result.status == 2, "\(result.standardError)")
        #expect(result.standardError.contains("evil\\x1b]0;owned\\x07\\n\\x1b[2J"), "\(result.standardError.debugDescription)")
        #expect(Self.rawControls(result.standardError).isEmpty, "stderr carries \(Self.rawControls(result.standardError)) raw")
        let unknown = try AgentProcess.agent(["scans", "--date", "2026-1\u{1B}[2J"], environment: environment)
        #expect(unknown.status == 2)
        #expect(Self.rawControls(unknown.standardError).isEmpty, "stderr carries \(Self.rawControls(unknown.standardError)) raw")
    }

    @Test("scans --csv quotes a cell with a TAB and defuses a formula after leading spaces", .timeLimit(.minutes(1)))
    func csvFormulaAfterSpaces() throws {
        let directory = try scratchDirectory("escape-csv")
        defer { try? FileManager.default.removeItem(at: directory) }
        let environment = ["STATION_AGENT_DATA_DIR": directory.path, "STATION_AGENT_CONFIG": ""]
        for code in [" =HYPERLINK(\"http://x\";\"y\")", "  +cmd|' /C calc'!A0", " @SUM(A1)", " -2+3"] {
            #expect(try AgentProcess.agent(["scan", code, "--in"], environment: environment).status == 0)
        }
        let csv = try AgentProcess.agent(["scans", "--csv"], environment: environment)
        let csvText = try #require(Self.excelCSV(csv.standardOutput), "BOM and CRLF: \(csv.standardOutput.debugDescription)")
        let rows = Self.parseCSV(csvText)
        #expect(rows.count == 5, "\(csvText)")
        for cell in rows.joined() {
            let first = cell.unicodeScalars.first { !$0.properties.isWhitespace }
            #expect(!(first.map { "=+-@".unicodeScalars.contains($0) } ?? false), "a spreadsheet would run \(cell.debugDescription)")
        }
    }

    static var umockdevRunAvailable: Bool { FileManager.default.isExecutableFile(atPath: "/usr/bin/umockdev-run") }

    @Test(
        "devices shows a USB product string with ESC escaped",
        .enabled(if: umockdevRunAvailable, "needs umockdev-run (apt install umockdev)"), .timeLimit(.minutes(1)))
    func devicesEscapeUSBStrings() throws {
        let directory = try scratchDirectory("escape-devices")
        defer { try? FileManager.default.removeItem(at: directory) }
        let original = try String(contentsOfFile: fixturePath("keyboard-scanner.umockdev"), encoding: .utf8)
        try #require(original.contains("A: product=Voyager 1250g\\n"))
        // umockdev reads attribute values with C escapes: \033 is ESC, \007 BEL.
        let hostile = original.replacing("A: product=Voyager 1250g\\n", with: "A: product=Voyager\\033]0;owned\\007\\033[2J 1250g\\n")
        let fixture = directory.appendingPathComponent("hostile-scanner.umockdev").path
        try hostile.write(toFile: fixture, atomically: false, encoding: .utf8)
        let result = try AgentProcess.agentUnderUmockdevRun(
            fixtures: [fixturePath("roothub.umockdev"), fixture], ["devices"],
            environment: ["STATION_AGENT_CONFIG": "", "STATION_AGENT_DATA_DIR": directory.path])
        #expect(result.status == 0, "\(result.standardError)")
        #expect(result.standardOutput.contains("Voyager\\x1b]0;owned\\x07\\x1b[2J 1250g"), "\(result.standardOutput.debugDescription)")
        #expect(Self.rawControls(result.standardOutput).isEmpty, "devices printed \(Self.rawControls(result.standardOutput)) raw")
    }

    @Test("log lines carry the station's configured zone and offset, not the system's", .timeLimit(.minutes(1)))
    func logLinesInStationZone() throws {
        let directory = try scratchDirectory("log-zone")
        defer { try? FileManager.default.removeItem(at: directory) }
        let config = directory.appendingPathComponent("station-agent.toml").path
        try """
            station_id = "zone-station"
            timezone = "Asia/Shanghai"
            data_dir = "\(directory.path)/data"
            """.write(toFile: config, atomically: false, encoding: .utf8)
        // The system says UTC; the station is in Shanghai. The agent stops at the SIGTERM the time limit sends.
        let result = try AgentProcess.agent(
            ["run", "--config", config], environment: ["TZ": "UTC", "JOURNAL_STREAM": ""], timeout: 4)
        let lines = result.standardError.split(separator: "\n").filter { $0.first?.isNumber == true }
        try #require(!lines.isEmpty, "\(result.standardError)")
        for line in lines {
            let stamp = line.prefix { $0 != " " }
            #expect(stamp.hasSuffix("+08:00"), "\(line)")
        }
    }
}

extension AgentRunTests {
    /// Boot-keyboard reports typing `text` and Enter; C0 characters are typed as Ctrl+key ("Control + ASCII").
    static func keyboardReportsWithControls(_ text: String) -> [[UInt8]] {
        var reports: [[UInt8]] = []
        for scalar in (text + "\n").unicodeScalars {
            let value = UInt8(scalar.value)
            let (modifier, key): (UInt8, UInt8)
            switch scalar {
            case "A"..."Z": (modifier, key) = (0x02, 0x04 + (value - 65))
            case "a"..."z": (modifier, key) = (0x00, 0x04 + (value - 97))
            case "1"..."9": (modifier, key) = (0x00, 0x1e + (value - 49))
            case "0": (modifier, key) = (0x00, 0x27)
            case " ": (modifier, key) = (0x00, 0x2c)
            case "-": (modifier, key) = (0x00, 0x2d)
            case "+": (modifier, key) = (0x02, 0x2e)
            case ":": (modifier, key) = (0x02, 0x33)
            case ";": (modifier, key) = (0x00, 0x33)
            case "[": (modifier, key) = (0x00, 0x2f)
            case "]": (modifier, key) = (0x00, 0x30)
            case "\n": (modifier, key) = (0x00, 0x28)
            case "\u{1B}": (modifier, key) = (0x01, 0x2f)
            case "\u{01}"..."\u{1A}": (modifier, key) = (0x01, 0x04 + (value - 1))
            default: fatalError("no key for \(scalar)")
            }
            reports.append([modifier, 0, key, 0, 0, 0, 0, 0])
            reports.append([0, 0, 0, 0, 0, 0, 0, 0])
        }
        return reports
    }

    /// SPEC §2 / issue 16.1: a barcode is attacker-controlled. Its ESC sequences, and a VT/FF (Ctrl+K, Ctrl+L) that a
    /// terminal or a log viewer takes as a line break, must not forge a log line or reach the terminal.
    @Test("a keyboard-wedge code with ESC, VT and FF gives exactly one escaped log line", .timeLimit(.minutes(1)))
    func scannedControlsCannotForgeLogLines() async throws {
        try await TestbedLock.withTestbed { testbed in
            let directory = try scratchDirectory("agent-log-forgery")
            defer { try? FileManager.default.removeItem(at: directory) }
            let configFile = directory.appendingPathComponent("station-agent.toml")
            try """
                station_id = "forgery-station"
                timezone = "Asia/Shanghai"

                [[devices]]
                name = "desk-scanner"
                vendor_id = "0c2e"
                port = "1-1.2"
                role = "inbound"
                """.write(to: configFile, atomically: false, encoding: .utf8)
            try testbed.add(fixture: fixturePath("roothub.umockdev"))
            let desk = try EmulatedUSBDevice(fixture: fixturePath("keyboard-scanner.umockdev"))
            try testbed.plug(desk)
            let agent = try BackgroundAgent(
                ["run", "--config", configFile.path],
                environment: ["STATION_AGENT_DATA_DIR": directory.appendingPathComponent("data").path])
            defer { agent.kill() }
            try await waitUntil(20, "the agent to claim the desk scanner") { desk.claimedInterfaces.contains(0) }
            let forged = "X\u{1B}[2K\u{0B}2026-12-03T22:00:00+0800 CRITICAL JOURNAL CORRUPT\u{0C}\u{1B}]0;owned\u{07}\u{1B}[2J"
            desk.deliver(endpoint: 0x81, reports: Self.keyboardReportsWithControls(forged))
            desk.deliver(endpoint: 0x81, reports: Self.keyboardReportsWithControls("SF1122334455667"))
            try await waitUntil(20, "both scans to be logged") { agent.standardError.contains("received SF1122334455667") }
            agent.signal(SIGTERM)
            #expect(try await agent.waitForExit(timeout: 20) == 0)
            let log = agent.standardError
            let lines = log.split(whereSeparator: \.isNewline)
            let mentioning = lines.filter { $0.contains("JOURNAL CORRUPT") }
            #expect(mentioning.count == 1, "exactly one line for the scan:\n\(mentioning)")
            #expect(mentioning.first?.contains("rejected X\\x1b[2K\\x0b2026-12-03T22:00:00+0800 CRITICAL JOURNAL CORRUPT\\x0c") == true,
                "\(mentioning)")
            #expect(!lines.contains { $0.hasPrefix("2026-12-03T22") }, "a forged line")
            #expect(ControlCharacterTests.rawControls(log).isEmpty, "the log carries \(ControlCharacterTests.rawControls(log)) raw")
        }
    }
}
