import Logging
import StationAgent
import StationTime
import Testing

/// Issue 16.1: the log handler escapes every control character of every value it prints, so a scanned code (or a
/// USB string, or an error text) can never forge a line, a journald priority or a terminal escape.
@Suite("log lines escape control characters")
struct LogHandlerTests {
    @Test("a code with LF and a forged critical line stays on its own, escaped line")
    func forgedLineInMessage() {
        let code = "X\n2026-12-03T22:00:00+0800 CRITICAL JOURNAL CORRUPT"
        let line = StationLogHandler.format(level: .info, message: "rejected \(code)", metadata: [:], journald: false)
        #expect(line.hasSuffix(" INFO rejected X\\n2026-12-03T22:00:00+0800 CRITICAL JOURNAL CORRUPT\n"), "\(line.debugDescription)")
        #expect(line.filter { $0 == "\n" }.count == 1)
    }

    @Test("under journald a newline cannot start a line with another priority")
    func journaldPriorityForgery() {
        let line = StationLogHandler.format(level: .info, message: "received A\n<2>FAKE", metadata: [:], journald: true)
        #expect(line == "<6>received A\\n<2>FAKE\n")
    }

    @Test("CR, ESC, BEL, DEL, C1 and the backslash itself are escaped in the message and in metadata values")
    func everyControlEscaped() {
        let line = StationLogHandler.format(
            level: .warning, message: "a\rb\u{1B}]0;t\u{07}c\u{7F}\u{9B}2J\\",
            metadata: ["device": "d\u{1B}[2J", "error": "e\nf"], journald: true)
        #expect(line == "<4>a\\rb\\x1b]0;t\\x07c\\x7f\\x9b2J\\\\ device=d\\x1b[2J error=e\\nf\n", "\(line.debugDescription)")
    }

    @Test("Unicode line and paragraph separators do not break a line either")
    func unicodeSeparators() {
        let line = StationLogHandler.format(level: .info, message: "a\u{2028}b\u{2029}c\u{85}d", metadata: [:], journald: true)
        #expect(line == "<6>a\\u{2028}b\\u{2029}c\\x85d\n", "\(line.debugDescription)")
        #expect(line.split(whereSeparator: \.isNewline).count == 1)
    }

    /// Issue 10.12: a Shanghai box logged `13:09:28+0000`; plain lines carry the station's zone and its offset.
    @Test("plain lines are stamped in the station's zone with its offset, not in UTC")
    func stationZoneStamp() throws {
        let shanghai = try StationTimeZone(named: "Asia/Shanghai")
        let at: Int64 = 1_796_303_368_000_000_000  // 2026-12-03T13:09:28Z
        let line = StationLogHandler.format(
            level: .info, message: "started", metadata: [:], journald: false, utcNanos: at, zone: shanghai)
        #expect(line == "2026-12-03T21:09:28+08:00 INFO started\n", "\(line)")
        let utc = StationLogHandler.format(
            level: .info, message: "started", metadata: [:], journald: false, utcNanos: at, zone: .utc)
        #expect(utc == "2026-12-03T13:09:28+00:00 INFO started\n", "\(utc)")
        let journald = StationLogHandler.format(
            level: .info, message: "started", metadata: [:], journald: true, utcNanos: at, zone: shanghai)
        #expect(journald == "<6>started\n", "journald stamps lines itself")
    }
}
