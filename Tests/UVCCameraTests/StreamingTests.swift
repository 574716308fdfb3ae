import Testing
import USBEmulator
import USBTransport
import UVCCamera

/// A UVC camera through real libusb and libuvc, on the agent's libusb context and its one event
/// thread, against the emulated camera over bulk and over isochronous endpoints.
@Suite("UVC camera streaming", .enabled(if: deviceTestsRun, "needs the umockdev preload: run `make test`"))
struct StreamingTests {
    static let transports: [EmulatedUVCCamera.Transport] = [.bulk, .isochronous]

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
            if transport == .isochronous {
                // libuvc picks the first alternate setting whose packets hold dwMaxPayloadTransferSize (3072).
                #expect(bench.emulated.device.events.contains("altsetting 1 2"), "\(bench.emulated.device.events)")
                #expect(stream.settings.maxPayloadBytes == 3072)
            }
            #expect(zip(received, received.dropFirst()).allSatisfy { $0.sequence < $1.sequence && $0.arrivedAt <= $1.arrivedAt })
            bench.camera.stop()
            #expect(stream.end == .stopped)
            #expect(!bench.emulated.isStreaming)
            #expect(bench.emulated.cancelledTransfers > 0, "libuvc cancels its transfers at stop")
            #expect(bench.emulated.log.contains("stream off"))
        }
    }

    @Test("640x480@15 YUYV: exact-size frames arrive in order, byte for byte", .timeLimit(.minutes(1)), arguments: transports)
    func yuyv(transport: EmulatedUVCCamera.Transport) async throws {
        try await withCamera(transport) { bench in
            let log = FrameLog()
            let stream = try bench.camera.start(
                frame: try UVCFrameRequest(parsing: "640x480@15"), formats: [.yuyv], handler: log.handler)
            #expect(stream.settings.format == .yuyv)
            #expect(stream.settings.maxFrameBytes == 640 * 480 * 2)
            #expect(bench.emulated.committed?.format == 2)
            let frames = yuyvFrames(4)
            // A frame cut short (as when packets are lost) is not an image: dropped and counted, never handed on.
            bench.emulated.play([Array(frames[0].prefix(1000))] + frames, framesPerSecond: 30)
            let received = try await log.wait(for: 4)
            #expect(stream.incompleteFrames == 1)
            let same = sameBytes(received, frames)
            #expect(same, "\(differences(received, frames))")
            #expect(received.allSatisfy { $0.format == .yuyv && $0.width == 640 && $0.height == 480 })
            bench.camera.stop()
            #expect(stream.end == .stopped)
        }
    }

    @Test("stop, then start again (another size): streams again, no frame lost or repeated", .timeLimit(.minutes(1)), arguments: transports)
    func stopAndStart(transport: EmulatedUVCCamera.Transport) async throws {
        try await withCamera(transport) { bench in
            let first = FrameLog()
            let stream = try bench.camera.start(frame: try UVCFrameRequest(parsing: "640x480@30"), handler: first.handler)
            let frames = mjpegFrames(3, seed: 7)
            bench.emulated.play(frames)
            let before = try await first.wait(for: 3)
            bench.camera.stop()
            #expect(stream.end == .stopped)
            // One stream at a time: a second start while one runs is refused.
            try bench.camera.start(frame: try UVCFrameRequest(parsing: "320x240@15"), handler: { _ in })
            #expect(throws: UVCError.alreadyStreaming) {
                try bench.camera.start(frame: try UVCFrameRequest(parsing: "320x240@15"), handler: { _ in })
            }
            bench.camera.stop()
            let second = FrameLog()
            let restarted = try bench.camera.start(frame: try UVCFrameRequest(parsing: "320x240@30"), handler: second.handler)
            #expect(restarted.settings.width == 320 && restarted.settings.height == 240)
            let more = mjpegFrames(3, seed: 8)
            bench.emulated.play(more)
            let after = try await second.wait(for: 3)
            #expect(sameBytes(before, frames), "\(differences(before, frames))")
            #expect(sameBytes(after, more), "\(differences(after, more))")
            #expect(after.allSatisfy { $0.width == 320 && $0.height == 240 })
            #expect(first.count == 3, "nothing reached the first handler after its stream stopped")
            #expect(bench.emulated.log.filter { $0.hasPrefix("commit") }.count == 3)
        }
    }

    @Test("a mode the camera does not offer is a typed error that names what it offers", .timeLimit(.minutes(1)))
    func modeNotOffered() async throws {
        try await withCamera(.bulk) { bench in
            let error = try #require(throws: UVCError.self) {
                try bench.camera.start(frame: try UVCFrameRequest(parsing: "1280x720@30"), handler: { _ in })
            }
            #expect(error == .modeNotOffered)
            #expect(error.description.contains("MJPEG 640x480@30,15,5"), "\(error)")
            #expect(throws: UVCError.badFrameSetting) { try UVCFrameRequest(parsing: "640*480@15") }
            #expect(try UVCFrameRequest(parsing: "640x480") == UVCFrameRequest(width: 640, height: 480, framesPerSecond: nil))
            // The camera still streams after the refusal.
            let log = FrameLog()
            try bench.camera.start(frame: try UVCFrameRequest(parsing: "640x480"), handler: log.handler)
            bench.emulated.play(mjpegFrames(1))
            _ = try await log.wait(for: 1)
        }
    }

    @Test("stop from inside the frame handler ends the stream just after the handler returns", .timeLimit(.minutes(1)))
    func stopFromHandler() async throws {
        try await withCamera(.bulk) { bench in
            let log = FrameLog()
            let camera = bench.camera
            let stream = try camera.start(frame: try UVCFrameRequest(parsing: "640x480@30")) { frame in
                log.handler(frame)
                if log.count == 2 { camera.stop() }
            }
            bench.emulated.play(mjpegFrames(20))
            let end = try await withTimeout(10, "the stream to end") { await stream.ended() }
            #expect(end == .stopped)
            #expect(log.count >= 2 && log.count < 20, "\(log.count) frames")
        }
    }

    @Test("measured: frames per second delivered and the latency to the handler", .timeLimit(.minutes(1)), arguments: transports)
    func measure(transport: EmulatedUVCCamera.Transport) async throws {
        for (format, frames) in [(UVCPixelFormat.mjpeg, mjpegFrames(60)), (.yuyv, yuyvFrames(30))] {
            try await withCamera(transport) { bench in
                let log = FrameLog()
                try bench.camera.start(frame: try UVCFrameRequest(parsing: "640x480@30"), formats: [format], handler: log.handler)
                bench.emulated.play(frames)
                let received = try await log.wait(for: frames.count, within: 30)
                #expect(sameBytes(received, frames), "\(differences(received, frames))")
                let arrivals = received.map(\.arrivedAt)
                let seconds = Double(arrivals.last! - arrivals.first!) / 1e9
                let rate = Double(received.count - 1) / max(seconds, 1e-9)
                // Device end of frame → handler, both CLOCK_MONOTONIC.
                let latencies = zip(bench.emulated.frameSentTimes, log.handledAt).map { Double($1 &- $0) / 1e6 }.sorted()
                let copies = log.callbackToHandler.map { Double($0) / 1e6 }.sorted()
                func median(_ values: [Double]) -> String { values.isEmpty ? "-" : String(Int(values[values.count / 2] * 1000)) + " µs" }
                print(
                    "camera measure (\(transport), \(format) 640x480@30, \(frames.count) frames of \(frames.map(\.count).reduce(0, +) / frames.count) bytes): "
                        + "\(Int(rate * 10) / 10) frames/s delivered; end of frame → handler median \(median(latencies)), "
                        + "max \(latencies.last.map { String(Int($0 * 1000)) + " µs" } ?? "-"); callback → handler (copy) median \(median(copies))")
                // The emulator paces at 30 fps; on a busy 2-core box anything well above a few frames a second is healthy.
                #expect(rate > 5, "\(rate) frames/s")
                bench.camera.stop()
            }
        }
    }
}
