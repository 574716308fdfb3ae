import Synchronization

/// The repository's `Tests/Fixtures` folder, found from this source file's location.
public func fixturePath(_ name: String, sourceFile: String = #filePath) -> String {
    // .../Sources/USBEmulator/TestSupport.swift → .../Tests/Fixtures/<name>
    var components = sourceFile.split(separator: "/", omittingEmptySubsequences: false)
    components.removeLast(3)
    return components.joined(separator: "/") + "/Tests/Fixtures/" + name
}

/// The wait ran out.
public struct TimedOut: Error, CustomStringConvertible {
    public let what: String
    public let seconds: Double
    public var description: String { "timed out after \(seconds) s waiting for \(what)" }
}

/// Runs `body`, failing with `TimedOut` if it takes longer than `seconds`: every wait in a device
/// test is bounded, because a replay or emulation mismatch shows as a hang, not an error.
public func withTimeout<T: Sendable>(
    _ seconds: Double, _ what: String, _ body: @escaping @Sendable () async throws -> T
) async throws -> T {
    try await withThrowingTaskGroup(of: T.self) { group in
        group.addTask { try await body() }
        group.addTask {
            try await Task.sleep(for: .milliseconds(Int(seconds * 1000)))
            throw TimedOut(what: what, seconds: seconds)
        }
        defer { group.cancelAll() }
        return try await group.next()!
    }
}

/// Polls `condition` every 5 ms until it holds or `seconds` pass.
public func waitUntil(_ seconds: Double, _ what: String, _ condition: @escaping @Sendable () -> Bool) async throws {
    let deadline = ContinuousClock.now + .milliseconds(Int(seconds * 1000))
    while !condition() {
        if ContinuousClock.now > deadline { throw TimedOut(what: what, seconds: seconds) }
        try await Task.sleep(for: .milliseconds(5))
    }
}

/// umockdev's test bed is process-wide (the preload follows `$UMOCKDEV_DIR`), so tests that use
/// one take turns through this lock, whichever suite or target they are in.
public enum TestbedLock {
    private static let state = Mutex<(held: Bool, waiters: [CheckedContinuation<Void, Never>])>((false, []))

    public static func withTestbed<T>(_ body: (USBTestbed) async throws -> T) async throws -> T {
        await acquire()
        defer { release() }
        let testbed = try USBTestbed()
        return try await body(testbed)
    }

    private static func acquire() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let immediately = state.withLock { state -> Bool in
                if !state.held {
                    state.held = true
                    return true
                }
                state.waiters.append(continuation)
                return false
            }
            if immediately { continuation.resume() }
        }
    }

    private static func release() {
        let next = state.withLock { state -> CheckedContinuation<Void, Never>? in
            if state.waiters.isEmpty {
                state.held = false
                return nil
            }
            return state.waiters.removeFirst()
        }
        next?.resume()
    }
}
