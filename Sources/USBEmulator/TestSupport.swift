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
///
/// A race, not a task group: a group waits for all its children, so a body stuck where cancellation
/// cannot reach (a continuation nobody resumes) would hang the group and the whole test run. Here the
/// timeout answers the caller at once; the body is cancelled and left to end on its own.
public func withTimeout<T: Sendable>(
    _ seconds: Double, _ what: String, _ body: @escaping @Sendable () async throws -> T
) async throws -> T {
    let race = TimeoutRace<T>()
    return try await withTaskCancellationHandler {
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<T, any Error>) in
            race.start(continuation)
            let work = Task {
                do {
                    race.finish(.success(try await body()))
                } catch {
                    race.finish(.failure(error))
                }
            }
            let timer = Task {
                guard (try? await Task.sleep(for: .milliseconds(Int(seconds * 1000)))) != nil else { return }
                race.finish(.failure(TimedOut(what: what, seconds: seconds)))
            }
            race.track([work, timer])
        }
    } onCancel: {
        race.finish(.failure(CancellationError()))
    }
}

/// The first of body, timer and cancellation to finish answers the caller and cancels the others.
private final class TimeoutRace<T: Sendable>: Sendable {
    private struct State: ~Copyable {
        var continuation: CheckedContinuation<T, any Error>?
        var result: Result<T, any Error>?
        var tasks: [Task<Void, Never>] = []
    }

    private let state = Mutex(State())

    func start(_ continuation: CheckedContinuation<T, any Error>) {
        let early = state.withLock { state -> Result<T, any Error>? in
            if let result = state.result { return result }
            state.continuation = continuation
            return nil
        }
        if let early { continuation.resume(with: early) }
    }

    func track(_ tasks: [Task<Void, Never>]) {
        let finished = state.withLock { state -> Bool in
            state.tasks = tasks
            return state.result != nil
        }
        if finished { for task in tasks { task.cancel() } }
    }

    func finish(_ result: Result<T, any Error>) {
        let (continuation, tasks) = state.withLock { state -> (CheckedContinuation<T, any Error>?, [Task<Void, Never>]) in
            guard state.result == nil else { return (nil, []) }
            state.result = result
            defer { state.continuation = nil }
            return (state.continuation, state.tasks)
        }
        for task in tasks { task.cancel() }
        continuation?.resume(with: result)
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
        defer { testbed.retire() }
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
