import Synchronization
import Testing
import USBEmulator

#if canImport(Glibc)
import Glibc
#endif

/// `make test` sets STATION_AGENT_REQUIRE_DEVICE_TESTS=1: there a run in which the device tests
/// would skip themselves (no umockdev preload) fails instead of passing green without them.
@Suite("Test bed guard")
struct TestBedGuardTests {
    @Test("device tests run when the test command requires them")
    func deviceTestsRequired() {
        guard getenv("STATION_AGENT_REQUIRE_DEVICE_TESTS") != nil else { return }
        #expect(USBTestbed.isAvailable, "device tests would be skipped: \(USBTestbed.unavailableReason ?? "")")
    }
}

/// The bound every device test's waits rely on.
@Suite("Test waits")
struct TestWaitTests {
    @Test("withTimeout ends a wait that cancellation cannot reach", .timeLimit(.minutes(1)))
    func timeoutEndsAnUncancellableWait() async throws {
        let parked = Mutex<CheckedContinuation<Void, Never>?>(nil)
        let started = ContinuousClock.now
        await #expect(throws: TimedOut.self) {
            try await withTimeout(0.2, "a continuation nobody resumes") {
                await withCheckedContinuation { continuation in parked.withLock { $0 = continuation } }
            }
        }
        #expect(ContinuousClock.now - started < .seconds(5))
        // Let the abandoned body end, as a late answer would.
        try await waitUntil(5, "the body to park") { parked.withLock { $0 != nil } }
        parked.withLock { $0?.resume() }
    }

    @Test("withTimeout returns the body's value or error when it is in time", .timeLimit(.minutes(1)))
    func inTime() async throws {
        #expect(try await withTimeout(5, "a value") { 42 } == 42)
        struct Refused: Error {}
        await #expect(throws: Refused.self) {
            try await withTimeout(5, "an error") { () async throws -> Int in throw Refused() }
        }
    }
}
