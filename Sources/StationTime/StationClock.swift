#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import Synchronization

/// One reading of the three clocks every journal event records (SPEC §7), plus whether the wall clock could be
/// trusted at that moment.
///
/// The monotonic time and boot id let the journal correct wall times later: a village box often boots with a
/// wrong clock (no RTC battery) and NTP fixes it minutes later.
public struct ClockReading: Sendable, Hashable {
    /// Wall time, UTC, nanoseconds since the Unix epoch (`CLOCK_REALTIME`).
    public var wallNanos: Int64
    /// Nanoseconds since boot (`CLOCK_BOOTTIME`: keeps counting through suspend).
    public var monotonicNanos: UInt64
    /// The kernel's boot id; empty if it could not be read.
    public var bootID: String
    /// Whether the kernel considers the wall clock synchronised (NTP), per `adjtimex`.
    public var isSynchronized: Bool

    public init(wallNanos: Int64, monotonicNanos: UInt64, bootID: String, isSynchronized: Bool) {
        self.wallNanos = wallNanos
        self.monotonicNanos = monotonicNanos
        self.bootID = bootID
        self.isSynchronized = isSynchronized
    }
}

/// Where the agent and `station-agent scan` get the time: a protocol so tests can substitute a ``TestClock``.
public protocol StationClock: Sendable {
    /// Reads all clocks at once.
    func now() -> ClockReading
}

/// The machine's clocks.
public struct SystemClock: StationClock {
    /// The boot id, read once: it cannot change while the process runs.
    public let bootID: String

    /// - Parameter bootIDPath: where the kernel publishes the boot id.
    public init(bootIDPath: String = SystemClock.bootIDPath) {
        self.bootID = (try? Self.readBootID(path: bootIDPath)) ?? ""
    }

    public func now() -> ClockReading {
        ClockReading(
            wallNanos: Self.wallNanos(), monotonicNanos: Self.monotonicNanos(), bootID: bootID,
            isSynchronized: Self.isSynchronized())
    }

    /// `/proc/sys/kernel/random/boot_id`.
    public static let bootIDPath = "/proc/sys/kernel/random/boot_id"

    /// `CLOCK_REALTIME` in nanoseconds since the epoch.
    public static func wallNanos() -> Int64 {
        var spec = timespec()
        clock_gettime(CLOCK_REALTIME, &spec)
        return Int64(spec.tv_sec) * 1_000_000_000 + Int64(spec.tv_nsec)
    }

    /// `CLOCK_BOOTTIME` in nanoseconds: the monotonic clock the rules module recommends, because it keeps counting
    /// through suspend (an elapsed time is real elapsed time).
    public static func monotonicNanos() -> UInt64 {
        var spec = timespec()
        clock_gettime(CLOCK_BOOTTIME, &spec)
        return UInt64(spec.tv_sec) * 1_000_000_000 + UInt64(spec.tv_nsec)
    }

    /// Whether the kernel's clock discipline says the wall clock is synchronised: `adjtimex` with a zeroed
    /// `struct timex` only reads; the clock is unsynchronised when it returns `TIME_ERROR` or sets `STA_UNSYNC`.
    public static func isSynchronized() -> Bool {
        guard let call = adjtimexFunction else { return false }
        // glibc's struct timex is 208 bytes on 64-bit targets; a larger zeroed buffer is safe on every ABI. With
        // `modes` = 0 the call only reads, so no privilege is needed.
        let buffer = UnsafeMutableRawPointer.allocate(byteCount: 512, alignment: 16)
        defer { buffer.deallocate() }
        buffer.initializeMemory(as: UInt8.self, repeating: 0, count: 512)
        let state = call(buffer)
        // `status` follows `modes` (padded to a long) and four longs: offset, freq, maxerror, esterror.
        let status = buffer.load(fromByteOffset: 5 * MemoryLayout<Int>.size, as: Int32.self)
        return isSynchronized(returnValue: state, status: Int(status))
    }

    /// The decision of ``isSynchronized()`` on `adjtimex`'s results (separate so it can be tested).
    public static func isSynchronized(returnValue: Int32, status: Int) -> Bool {
        let timeError: Int32 = 5  // TIME_ERROR
        let unsynchronized = 0x0040  // STA_UNSYNC
        return returnValue >= 0 && returnValue != timeError && status & unsynchronized == 0
    }

    /// Reads the boot id: a lowercase UUID such as `3660cfa8-fe69-46ec-a2be-b28b90fb5587`.
    ///
    /// - Throws: ``ClockError`` when the file cannot be read or does not hold a UUID.
    public static func readBootID(path: String = SystemClock.bootIDPath) throws(ClockError) -> String {
        switch FileAccess.read(path, limit: 256) {
        case .failure(let error):
            throw .bootIDUnreadable(path: path, errno: error.code)
        case .success(let bytes):
            let text = String(decoding: bytes, as: UTF8.self).filter { !$0.isWhitespace }
            guard isBootID(text) else { throw .bootIDMalformed(path: path, content: text) }
            return text
        }
    }

    /// Whether `text` has the kernel's boot id format: 8-4-4-4-12 lowercase hexadecimal digits.
    public static func isBootID(_ text: String) -> Bool {
        let groups = text.split(separator: "-", omittingEmptySubsequences: false)
        return groups.map(\.count) == [8, 4, 4, 4, 12]
            && groups.allSatisfy { $0.allSatisfy { ("0"..."9").contains($0) || ("a"..."f").contains($0) } }
    }
}

/// `adjtimex(2)`, looked up at run time: Swift's Glibc module does not import `<sys/timex.h>`, and this target may
/// not add a C shim. `nil` (treated as unsynchronised) only on a C library without it.
private let adjtimexFunction: (@convention(c) (UnsafeMutableRawPointer) -> Int32)? = {
    guard let handle = dlopen(nil, RTLD_NOW), let symbol = dlsym(handle, "adjtimex") else { return nil }
    return unsafeBitCast(symbol, to: (@convention(c) (UnsafeMutableRawPointer) -> Int32).self)
}()

/// Why the boot id could not be read.
public enum ClockError: Error, Sendable, Hashable, CustomStringConvertible {
    case bootIDUnreadable(path: String, errno: Int32)
    case bootIDMalformed(path: String, content: String)

    public var description: String {
        switch self {
        case .bootIDUnreadable(let path, let code):
            "cannot read the boot id from \(path) (errno \(code)): is /proc mounted? Times of this run will be "
                + "compared by wall clock only"
        case .bootIDMalformed(let path, let content):
            "\(path) holds \"\(content)\", not a boot id: is /proc mounted correctly? Times of this run will be "
                + "compared by wall clock only"
        }
    }
}

/// A clock a test moves by hand: wall and monotonic time advance together, the wall clock can be stepped (as NTP
/// does), a reboot restarts the monotonic clock under a new boot id.
public final class TestClock: StationClock {
    private let state: Mutex<ClockReading>

    public init(_ reading: ClockReading) {
        state = Mutex(reading)
    }

    /// A clock at `wallNanos`, 100 s after boot `boot-1`, synchronised or not.
    public convenience init(wallNanos: Int64, bootID: String = "boot-1", isSynchronized: Bool = true) {
        self.init(
            ClockReading(
                wallNanos: wallNanos, monotonicNanos: 100_000_000_000, bootID: bootID, isSynchronized: isSynchronized))
    }

    public func now() -> ClockReading { state.withLock { $0 } }

    /// Lets time pass on both clocks.
    public func advance(nanoseconds: Int64) {
        state.withLock {
            $0.wallNanos += nanoseconds
            $0.monotonicNanos = UInt64(Int64($0.monotonicNanos) + nanoseconds)
        }
    }

    /// Lets time pass on both clocks.
    public func advance(seconds: Int64) { advance(nanoseconds: Civil.saturatingNanos(seconds: seconds)) }

    /// Steps the wall clock (NTP fixing a wrong clock), leaving the monotonic clock alone.
    public func setWall(nanos: Int64, synchronized: Bool) {
        state.withLock {
            $0.wallNanos = nanos
            $0.isSynchronized = synchronized
        }
    }

    /// A reboot: a new boot id, the monotonic clock restarts at `monotonicNanos`.
    public func reboot(bootID: String, monotonicNanos: UInt64 = 5_000_000_000, wallNanos: Int64? = nil, synchronized: Bool) {
        state.withLock {
            $0.bootID = bootID
            $0.monotonicNanos = monotonicNanos
            if let wallNanos { $0.wallNanos = wallNanos }
            $0.isSynchronized = synchronized
        }
    }
}
