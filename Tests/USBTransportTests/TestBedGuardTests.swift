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
    @Test(
        "device tests run when the test command requires them",
        .enabled(if: getenv("STATION_AGENT_REQUIRE_DEVICE_TESTS") != nil, "STATION_AGENT_REQUIRE_DEVICE_TESTS is not set"))
    func deviceTestsRequired() {
        #expect(USBTestbed.isAvailable, "device tests would be skipped: \(USBTestbed.unavailableReason ?? "")")
    }
}

/// A test bed is gone when its test ends, whether umockdev frees it (only described devices) or
/// not (a live device keeps it for the life of the process), and neither way ends the process.
@Suite("Test bed lifetime", .enabled(if: USBTestbed.isAvailable, "needs the umockdev preload: run `make test`"))
struct TestBedLifetimeTests {
    @Test("a test bed leaves no directory behind", .timeLimit(.minutes(1)), arguments: [false, true])
    func leavesNothing(withLiveDevice: Bool) async throws {
        let root = try await TestbedLock.withTestbed { testbed in
            try testbed.add(fixture: fixturePath("roothub.umockdev"))
            if withLiveDevice {
                try testbed.plug(try EmulatedUSBDevice(fixture: fixturePath("keyboard-scanner.umockdev")))
            }
            #expect(access(testbed.rootDirectory + "/sys/bus/usb/devices", F_OK) == 0)
            return testbed.rootDirectory
        }
        #expect(access(root, F_OK) != 0, "\(root) is still there")
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
        // It takes the 0.2 s; the bound only has to be far from "never", even on a machine busy with other runs.
        #expect(ContinuousClock.now - started < .seconds(30))
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
