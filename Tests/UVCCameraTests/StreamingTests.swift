import Testing
import USBEmulator
import USBTransport
import UVCCamera
#if canImport(Glibc)
import Glibc
#endif

/// A UVC camera through real libusb and libuvc, on the agent's libusb context and its one event
/// thread, against the emulated camera over bulk and over isochronous endpoints.
@Suite("UVC camera streaming", .enabled(if: deviceTestsRun, "needs the umockdev preload: run `make test`"))
struct StreamingTests {
    static let transports: [EmulatedUVCCamera.Transport] =
        getenv("UVC_ONLY").map { String(cString: $0) == "bulk" ? [.bulk] : [.isochronous] } ?? [.bulk, .isochronous]

    @Test("the modes listed are the descriptors' formats, sizes and rates", .timeLimit(.minutes(1)), arguments: transports)
    func modes(transport: EmulatedUVCCamera.Transport) async throws {
        try await withCamera(transport) { bench in
            let expected = EmulatedUVCCamera.modes.map { mode in
                UVCMode(
                    format: mode.format == "MJPEG" ? .mjpeg : .yuyv, width: mode.width, height: mode.height,
                    framesPerSecond: mode.framesPerSecond)
            }
            #expect(bench.camera.modes == expected)
            #expect(bench.camera.modes.map(\.description).first == "MJPEG 640x480@30,15,5")
            // uvc_open claimed the control interface: uvcvideo (which holds both interfaces) was detached.
            #expect(bench.emulated.device.events.prefix(2) == ["detach 0", "claim 0"])
        }
    }

    @Test("640x480@15 MJPEG: scripted frames arrive in order, byte for byte", .timeLimit(.minutes(1)), arguments: transports)
    func mjpeg(transport: EmulatedUVCCamera.Transport) async throws {
        try await withCamera(transport) { bench in
            let log = FrameLog()
            let stream = try bench.camera.start(frame: try UVCFrameRequest(parsing: "640x480@15"), handler: log.handler)
            #expect(stream.settings.format == .mjpeg)
            #expect(stream.settings.width == 640 && stream.settings.height == 480)
            #expect(abs(stream.settings.framesPerSecond - 15) < 0.01)
            #expect(bench.emulated.committed?.format == 1 && bench.emulated.committed?.frame == 1)
            #expect(bench.emulated.committed?.interval == 666_666)
            let frames = mjpegFrames(6)
            bench.emulated.play(frames, framesPerSecond: 30)
            let received = try await log.wait(for: 6)
            #expect(received.count == 6)
            #expect(sameBytes(received, frames), "\(differences(received, frames))")
            #expect(received.allSatisfy { $0.format == .mjpeg && $0.width == 640 && $0.height == 480 })
            #expect(zip(received, received.dropFirst()).allSatisfy { $0.sequence < $1.sequence && $0.arrivedAt <= $1.arrivedAt })
            bench.camera.stop()
            #expect(stream.end == .stopped)
            #expect(!bench.emulated.isStreaming)
            #expect(bench.emulated.cancelledTransfers > 0, "libuvc cancels its transfers at stop")
            #expect(bench.emulated.log.contains("stream off"))
        }
    }
}
