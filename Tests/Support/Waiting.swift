import StationTime
import Synchronization

/// Waits up to `seconds` for `condition`, polling; returns whether it became true.
public func eventually(seconds: Double, _ condition: () async throws -> Bool) async rethrows -> Bool {
    let deadline = SystemClock.monotonicNanos() + UInt64(seconds * 1e9)
    while SystemClock.monotonicNanos() < deadline {
        if try await condition() { return true }
        try? await Task.sleep(nanoseconds: 10_000_000)
    }
    return try await condition()
}

/// Counts completions from concurrent tasks.
public final class Counter: Sendable {
    public init() {}
    private let value = Mutex(0)
    public func increment() { value.withLock { $0 += 1 } }
    public var current: Int { value.withLock { $0 } }
}

