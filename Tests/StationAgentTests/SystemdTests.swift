import Foundation
import Logging
import StationAgent
import Testing

@Suite("systemd integration")
struct SystemdTests {
    @Test("sd_notify: READY, STATUS and WATCHDOG datagrams reach the socket; the watchdog interval is half of WATCHDOG_USEC")
    func notify() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("notify-\(getpid())").path
        unlink(path)
        let fd = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue), 0)
        defer {
            close(fd)
            unlink(path)
        }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &address.sun_path) { $0.copyBytes(from: Array(path.utf8)) }
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        try #require(bound == 0)
        let notifier = SystemdNotifier(environment: ["NOTIFY_SOCKET": path, "WATCHDOG_USEC": "30000000"])
        #expect(notifier.watchdogInterval == .seconds(15))
        notifier.ready(status: "started")
        notifier.watchdog()
        // A value with a line feed cannot add a variable of its own (a device name, an error's text).
        notifier.status("1 scanner(s): x\nREADY=1")
        var received: [String] = []
        var buffer = [UInt8](repeating: 0, count: 512)
        for _ in 0..<3 {
            let count = recv(fd, &buffer, buffer.count, Int32(MSG_DONTWAIT))
            if count > 0 { received.append(String(decoding: buffer[0..<count], as: UTF8.self)) }
        }
        #expect(received == ["READY=1\nSTATUS=started", "WATCHDOG=1", "STATUS=1 scanner(s): x\\nREADY=1"])
        // Never blocks: with nobody reading, a full queue drops messages instead of hanging.
        let start = ContinuousClock.now
        for _ in 0..<1000 { notifier.status("flood") }
        #expect(ContinuousClock.now - start < .seconds(5))
        #expect(!SystemdNotifier(environment: [:]).isActive)
    }

    @Test("log lines carry journald's priority prefix under systemd, and are plain otherwise")
    func journaldPrefixes() {
        #expect(StationLogHandler.syslogPriority(.error) == 3)
        #expect(StationLogHandler.syslogPriority(.warning) == 4)
        #expect(StationLogHandler.syslogPriority(.info) == 6)
        #expect(StationLogHandler.syslogPriority(.debug) == 7)
        #expect(StationLogHandler.format(level: .warning, message: "disk full", metadata: [:], journald: true) == "<4>disk full\n")
        let plain = StationLogHandler.format(level: .info, message: "started", metadata: ["device": "desk"], journald: false)
        #expect(plain.hasSuffix(" INFO started device=desk\n"))
        #expect(plain.first?.isNumber == true, "plain lines start with a timestamp")
    }
}
