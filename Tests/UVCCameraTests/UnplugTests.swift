import Logging
import ScannerProtocols
import ScannerReaders
import StationTestSupport
import Testing
import USBEmulator
import USBTransport
import UVCCamera

/// A camera unplugged mid-stream: its stream ends with a typed error, nothing crashes or hangs, the
/// one libusb event thread and a scanner on it keep working, and the camera streams again once back.
@Suite("UVC camera unplug", .enabled(if: deviceTestsRun, "needs the umockdev preload: run `make test`"))
struct UnplugTests {
    @Test(
        "unplug mid-stream ends the stream as unplugged; a keyboard scanner keeps scanning; re-plugged, it streams again",
        .timeLimit(.minutes(1)), arguments: StreamingTests.transports)
    func unplugMidStream(transport: EmulatedUVCCamera.Transport) async throws {
        try await TestbedLock.withTestbed { testbed in
            try testbed.add(fixture: fixturePath("roothub.umockdev"))
            let scanner = try EmulatedUSBDevice(fixture: fixturePath("keyboard-scanner.umockdev"))
            try testbed.plug(scanner)
            let emulated = try EmulatedUVCCamera(transport: transport)
            try testbed.plug(emulated.device)
            let context = try USBContext()
            defer { context.shutdown() }

            let scannerInfo = try #require(context.devices().first { $0.port == "1-1.2" })
            let match = try #require(ProtocolSelection.match(for: scannerInfo, configured: .hidKeyboard, policy: .configured))
            let reader = try await ScannerReader.open(context: context, device: scannerInfo, match: match, name: "desk-scanner")

            let cameraInfo = try #require(context.devices().first { $0.port == "1-5" })
            let camera = try UVCCamera.open(cameraInfo.id, in: context)
            let log = FrameLog()
            let stream = try camera.start(frame: try UVCFrameRequest(parsing: "640x480@15"), handler: log.handler)
            // Far more frames than the test waits for: the camera is mid-stream when it goes.
            emulated.play(mjpegFrames(300), framesPerSecond: 30)
            _ = try await log.wait(for: 3)

            let unplugged = MonotonicClock.now()
            testbed.unplug(emulated.device)
            let end = try await withTimeout(5, "the stream to end after the unplug") { await stream.ended() }
            let endedAfter = (MonotonicClock.now() - unplugged) / 1_000_000
            #expect(end == .failed(.unplugged))
            if case .failed(let error) = end { #expect(error.description.contains("unplugged")) }
            #expect(camera.isGone)
            #expect(throws: UVCError.unplugged) { try camera.start(frame: try UVCFrameRequest(parsing: "640x480@15"), handler: { _ in }) }
            let framesAtEnd = log.count
            print("camera unplug (\(transport)): stream ended \(endedAfter) ms after the unplug began, after \(framesAtEnd) frames")

            // The event thread and the other device are unharmed: a scan comes through.
            scanner.deliver(endpoint: 0x81, reports: Typist.type("SF1234567890123"))
            let scan = try await withTimeout(5, "a scan after the camera left") { () -> Scan? in
                for await scan in reader.scans { return scan }
                return nil
            }
            #expect(scan?.text == "SF1234567890123")
            camera.close()
            #expect(log.count == framesAtEnd, "no frame after the end")

            // Back on the same port, at a new address: found, opened and streaming again.
            let again = try EmulatedUVCCamera(transport: transport, address: 8)
            try testbed.plug(again.device)
            try await waitUntil(5, "the camera to come back") { context.devices().contains { $0.port == "1-5" && $0.id.address == 8 } }
            let back = try #require(context.devices().first { $0.port == "1-5" })
            let reopened = try UVCCamera.open(back.id, in: context)
            let secondLog = FrameLog()
            try reopened.start(frame: try UVCFrameRequest(parsing: "640x480@15"), handler: secondLog.handler)
            let frames = mjpegFrames(3, seed: 3)
            again.play(frames)
            let received = try await secondLog.wait(for: 3)
            #expect(sameBytes(received, frames), "\(differences(received, frames))")
            reopened.close()
            try await withTimeout(5, "the reader to close") { await reader.close() }
        }
    }
}
