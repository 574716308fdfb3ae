import ArgumentParser
import LabelDecoding
import StationTestSupport
#if canImport(Glibc)
import Glibc
#endif

/// `station-bench decode --frames 300`: how fast the camera's decoding layer reads 640×480 frames on this machine.
///
/// Frames are drawn as in the tests (StationTestSupport's SyntheticLabels): a 15-character Code 128 tracking number
/// at 2 px a module with Gaussian noise (σ 10 by default), as YUYV and as MJPEG (the YUYV frame encoded by the
/// module's own encoder at quality 80, a color JPEG like a camera's). Each measurement decodes the same frame
/// `--frames` times on one thread after a warm-up and reports frames per second (wall clock) and CPU time per
/// frame (getrusage, user + system). Frames with no label are measured too: they are what a camera sends most of
/// the time, and the reader looks hardest at them.
struct DecodeBenchmark: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "decode",
        abstract: "Frames per second and CPU time per frame of the label decoder for 640×480 MJPEG and YUYV frames.")

    @Option(help: "Frames decoded in each measurement.")
    var frames = 300

    @Option(help: "Standard deviation of the noise added to the frames (gray levels).")
    var noise = 10.0

    @Option(help: "The tracking number on the label.")
    var text = "SF1234567890123"

    func validate() throws {
        guard frames > 0 else { throw ValidationError("--frames must be positive") }
        guard noise >= 0 else { throw ValidationError("--noise must be 0 or more") }
    }

    func run() throws {
        let decoder = LabelDecoder()
        let encoder = PhotoEncoder()
        let labelled = labelFrame(text).noisy(sigma: noise)
        let empty = SyntheticImage().noisy(sigma: noise)
        let yuyv = Frame(width: 640, height: 480, format: .yuyv, bytes: labelled.yuyv, arrivalNanos: 0)
        let mjpeg = Frame(width: 640, height: 480, format: .mjpeg, bytes: try encoder.photo(of: yuyv), arrivalNanos: 0)
        let emptyYUYV = Frame(width: 640, height: 480, format: .yuyv, bytes: empty.yuyv, arrivalNanos: 0)
        let emptyMJPEG = Frame(width: 640, height: 480, format: .mjpeg, bytes: try encoder.photo(of: emptyYUYV), arrivalNanos: 0)
        for frame in [yuyv, mjpeg] {
            let read = try decoder.decode(frame).map(\.text)
            guard read == [text] else {
                throw ValidationError("the \(frame.format.rawValue) frame reads as \(read), not [\(text)]: lower --noise")
            }
        }
        var load = [Double](repeating: 0, count: 3)
        _ = getloadavg(&load, 3)
        print("decode: 640×480, Code 128 \"\(text)\" at 2 px a module, noise σ \(noise), \(frames) frames a measurement")
        print("        MJPEG frame \(mjpeg.bytes.count) bytes; load average \(load.map { String(format1($0)) }.joined(separator: " "))")
        measure("MJPEG, one label (JPEG→gray + read)", frames) { _ = try? decoder.decode(mjpeg) }
        measure("YUYV,  one label (Y plane + read)", frames) { _ = try? decoder.decode(yuyv) }
        measure("MJPEG, no label", frames) { _ = try? decoder.decode(emptyMJPEG) }
        measure("YUYV,  no label", frames) { _ = try? decoder.decode(emptyYUYV) }
        measure("MJPEG → gray plane only (libjpeg)", frames) { _ = try? LabelDecoder.grayPlane(of: mjpeg) }
        measure("photo of a YUYV frame (JPEG q80)", frames) { _ = try? encoder.photo(of: yuyv) }
    }

    private func measure(_ name: String, _ count: Int, _ body: () -> Void) {
        for _ in 0..<min(10, count) { body() }
        let cpuStart = cpuNanos()
        let wallStart = wallNanos()
        for _ in 0..<count { body() }
        let wall = Double(wallNanos() - wallStart) / 1e9
        let cpu = Double(cpuNanos() - cpuStart) / 1e6 / Double(count)
        let padded = name + String(repeating: " ", count: max(0, 38 - name.count))
        print("\(padded) \(format1(Double(count) / wall)) frames/s   \(format2(cpu)) ms CPU/frame   \(format2(wall * 1e3 / Double(count))) ms wall/frame")
    }

    private func cpuNanos() -> UInt64 {
        var usage = rusage()
        getrusage(RUSAGE_SELF.rawValue, &usage)
        func nanos(_ time: timeval) -> UInt64 { UInt64(time.tv_sec) * 1_000_000_000 + UInt64(time.tv_usec) * 1_000 }
        return nanos(usage.ru_utime) + nanos(usage.ru_stime)
    }

    private func wallNanos() -> UInt64 {
        var time = timespec()
        clock_gettime(CLOCK_MONOTONIC, &time)
        return UInt64(time.tv_sec) * 1_000_000_000 + UInt64(time.tv_nsec)
    }

    private func format1(_ value: Double) -> String { fixed(value, digits: 1) }
    private func format2(_ value: Double) -> String { fixed(value, digits: 2) }

    private func fixed(_ value: Double, digits: Int) -> String {
        var scale = 1.0
        for _ in 0..<digits { scale *= 10 }
        let scaled = (value * scale).rounded()
        let whole = Int(scaled / scale)
        let fraction = Int(abs(scaled).truncatingRemainder(dividingBy: scale))
        let fractionText = String(fraction)
        return "\(whole).\(String(repeating: "0", count: digits - fractionText.count))\(fractionText)"
    }
}
