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
