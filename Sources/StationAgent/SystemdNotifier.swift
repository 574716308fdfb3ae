import TextEscaping
#if canImport(Glibc)
import Glibc
#endif

/// Talks to systemd over `$NOTIFY_SOCKET` (the sd_notify protocol, without libsystemd): READY=1
/// once started, STATUS= lines a technician sees in `systemctl status`, WATCHDOG=1 pings.
///
/// Outside systemd (no `$NOTIFY_SOCKET`) every call does nothing.
public struct SystemdNotifier: Sendable {
    private let socketPath: String?
    /// Half of `$WATCHDOG_USEC`, the interval at which to ping, or nil without a watchdog.
    public let watchdogInterval: Duration?

    public init(environment: [String: String]) {
        let path = environment["NOTIFY_SOCKET"].flatMap { $0.isEmpty ? nil : $0 }
        socketPath = path
        if path != nil, let text = environment["WATCHDOG_USEC"], let microseconds = UInt64(text), microseconds > 0,
            environment["WATCHDOG_PID"].map({ $0 == String(getpid()) }) ?? true
        {
            watchdogInterval = .microseconds(Int64(microseconds / 2))
        } else {
            watchdogInterval = nil
        }
    }

    public var isActive: Bool { socketPath != nil }

    public func ready(status: String) { send("READY=1\nSTATUS=\(Escaping.text(status))") }
    /// The text is escaped (``Escaping``): a line feed in a value must not add a variable (READY=1, WATCHDOG=1) to
    /// the message.
    public func status(_ text: String) { send("STATUS=\(Escaping.text(text))") }
    public func watchdog() { send("WATCHDOG=1") }
    public func stopping(status: String) { send("STOPPING=1\nSTATUS=\(Escaping.text(status))") }
    public func reloading(status: String) { send("RELOADING=1\nSTATUS=\(Escaping.text(status))") }

    /// Sends one datagram without ever waiting: if the receiver's queue is full the message is
    /// dropped (a STATUS is superseded by the next; a missed WATCHDOG=1 means systemd is not
    /// reading anyway). Failures are ignored, as sd_notify's are.
    public func send(_ message: String) {
        guard let socketPath else { return }
        let fd = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { return }
        defer { close(fd) }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        var pathBytes = Array(socketPath.utf8)
        // "@name" is an abstract socket: a leading NUL byte in sun_path.
        if pathBytes.first == UInt8(ascii: "@") { pathBytes[0] = 0 }
        let capacity = MemoryLayout.size(ofValue: address.sun_path)
        guard pathBytes.count < capacity else { return }
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            raw.copyBytes(from: pathBytes)
        }
        let length = socklen_t(MemoryLayout<sa_family_t>.size + pathBytes.count)
        let payload = Array(message.utf8)
        _ = withUnsafePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { socketAddress in
                sendto(fd, payload, payload.count, Int32(MSG_NOSIGNAL) | Int32(MSG_DONTWAIT), socketAddress, length)
            }
        }
    }
}
