import ArgumentParser
import LabelDecoding
import StationTestSupport
import USBEmulator
#if canImport(Glibc)
import Glibc
#endif

/// `umockdev-wrapper station-bench camera --parcels 100`: the camera release device through the real agent.
///
/// An emulated UVC camera (USBEmulator, through real libusb and libuvc in the agent) shows `--parcels` parcels, each
/// a different tracking number held for `--held` frames with an empty table between them, at the camera's 15 fps, to
/// the real `station-agent run` (default: beside station-bench). Reported: releases journalled, the time from a
/// frame's arrival to its event's commit (the agent logs it per release, `frame_to_commit_ms`), the agent's CPU time
/// and resident memory while it streams (from /proc), and the photo bytes per release and per 100 releases.
struct CameraBenchmark: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "camera",
        abstract: "Frame-to-commit latency, CPU, memory and photo bytes of the real agent reading an emulated camera (run under umockdev-wrapper).")

    @Option(help: "The station-agent binary (default: beside station-bench).") var agent: String?
    @Option(help: "Parcels shown to the camera.") var parcels = 100
    @Option(help: "Frames each parcel is held under the camera (15 fps).") var held = 8
    @Option(help: "What the camera offers: MJPEG (with YUYV) or YUYV only.") var format = "MJPEG"
    @Flag(help: "An isochronous camera instead of a bulk one.") var isochronous = false

    func validate() throws {
        guard parcels > 0, held >= 2 else { throw ValidationError("--parcels must be positive and --held at least 2") }
        guard ["MJPEG", "YUYV"].contains(format) else { throw ValidationError("--format is MJPEG or YUYV") }
        guard USBTestbed.isAvailable else { throw ValidationError("run it under umockdev-wrapper (the emulated camera needs the preload)") }
    }

    func run() async throws {
        let binary = agent ?? directoryOfExecutable() + "/station-agent"
        let directory = try temporaryDirectory()
        defer { _ = system("rm -rf '\(directory)'") }
        let config = directory + "/station-agent.toml"
        let log = directory + "/agent.log"
        try writeFile(
            config,
            """
            station_id = "bench-camera"
            timezone = "Asia/Shanghai"
            data_dir = "\(directory)/data"

            [[devices]]
            name = "release-cam"
            vendor_id = "0c45"
            protocol = "uvc"
            frame = "640x480@15"
            role = "outbound"
            """)
        // The frames, drawn before anything is timed: a different label per parcel, an empty table between them.
        let encoder = PhotoEncoder(quality: 80)
        func bytes(_ image: SyntheticImage) throws -> [UInt8] {
            let yuyv = image.noisy(sigma: 5).yuyv
            guard format == "MJPEG" else { return yuyv }
            return try encoder.photo(of: Frame(width: 640, height: 480, format: .yuyv, bytes: yuyv, arrivalNanos: 0))
        }
        let empty = try bytes(SyntheticImage())
        var frames: [[UInt8]] = []
        for index in 0..<parcels {
            let label = try bytes(labelFrame("SF\(1_000_000_000_000 + index)"))
            frames += [[UInt8]](repeating: label, count: held) + [[UInt8]](repeating: empty, count: 4)
        }
        print("\(parcels) parcels, \(frames.count) frames of 640x480 \(format) (\(isochronous ? "isochronous" : "bulk")), \(Double(frames.count) / 15) s at 15 fps")

        try await TestbedLock.withTestbed { testbed in
            try testbed.add(fixture: fixtureFile("roothub.umockdev"))
            let camera = try EmulatedUVCCamera(transport: isochronous ? .isochronous : .bulk, formats: format == "MJPEG" ? ["MJPEG", "YUYV"] : ["YUYV"])
            try testbed.plug(camera.device)
            let pid = try spawn(binary, ["run", "--config", config], stderrTo: log)
            defer {
                kill(pid, SIGTERM)
                var status: Int32 = 0
                waitpid(pid, &status, 0)
            }
            try await waitUntil(20, "the agent to stream") { camera.isStreaming }
            let before = processCPU(pid)
            camera.play(frames)
            var peakRSS = 0
            let deadline = ContinuousClock.now + .seconds(Double(frames.count) / 15 + 30)
            while camera.framesQueued > 0 && ContinuousClock.now < deadline {
                peakRSS = max(peakRSS, residentKB(pid))
                try await Task.sleep(for: .milliseconds(200))
            }
            try await Task.sleep(for: .seconds(1))
            let cpu = processCPU(pid) - before
            let text = (try? readFile(log)) ?? ""
            let key = "frame_to_commit_ms="
            let latencies = text.split(separator: "\n").compactMap { line -> Double? in
                guard let field = line.split(separator: " ").first(where: { $0.hasPrefix(key) }) else { return nil }
                return Double(field.dropFirst(key.count))
            }.sorted()
            let photos = directory + "/data/photos"
            let photoBytes = totalBytes(photos)
            print("releases journalled: \(latencies.count) of \(parcels)")
            if !latencies.isEmpty {
                print("frame arrival -> commit: p50 \(tenths(percentileOf(latencies, 0.5))) ms, p99 \(tenths(percentileOf(latencies, 0.99))) ms, max \(tenths(latencies.last!)) ms")
            }
            let seconds = Double(frames.count) / 15
            print("agent CPU while streaming: \(tenths(cpu)) s over \(tenths(seconds)) s (\(tenths(100 * cpu / seconds)) % of one core), \(tenths(1000 * cpu / Double(frames.count))) ms per frame sent")
            print("agent resident memory while streaming: peak \(peakRSS / 1024) MB (VmRSS sampled every 200 ms)")
            if !latencies.isEmpty {
                let perRelease = photoBytes / latencies.count
                print("photos: \(photoBytes) bytes for \(latencies.count) releases: \(perRelease / 1000) kB each, \(perRelease * 100 / 1_000_000) MB per 100 releases")
            }
            if text.contains(" ERROR ") || text.contains("NOT") { print("the agent's log has errors: \(log)") }
        }
    }
}

private func tenths(_ value: Double) -> String { String((value * 10).rounded() / 10) }

/// Tests/Fixtures of the checkout this was built from.
private func fixtureFile(_ name: String) -> String { fixturePath(name) }

private func writeFile(_ path: String, _ text: String) throws {
    guard let file = fopen(path, "w") else { throw ValidationError("cannot write \(path)") }
    fputs(text, file)
    fclose(file)
}

private func readFile(_ path: String) throws -> String {
    guard let file = fopen(path, "r") else { throw ValidationError("cannot read \(path)") }
    defer { fclose(file) }
    var bytes: [UInt8] = []
    var buffer = [UInt8](repeating: 0, count: 65_536)
    while true {
        let count = fread(&buffer, 1, buffer.count, file)
        if count == 0 { break }
        bytes += buffer[0..<count]
    }
    return String(decoding: bytes, as: UTF8.self)
}

/// Starts `path` with `arguments` and this process's environment (the test bed's preload), stderr to `log`.
private func spawn(_ path: String, _ arguments: [String], stderrTo log: String) throws -> pid_t {
    var actions = posix_spawn_file_actions_t()
    posix_spawn_file_actions_init(&actions)
    defer { posix_spawn_file_actions_destroy(&actions) }
    posix_spawn_file_actions_addopen(&actions, 2, log, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
    posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0)
    let argv = ([path] + arguments).map { strdup($0) } + [nil]
    defer { argv.forEach { free($0) } }
    var pid: pid_t = 0
    let result = posix_spawn(&pid, path, &actions, nil, argv, environ)
    guard result == 0 else { throw ValidationError("cannot start \(path): errno \(result)") }
    return pid
}

/// User + system CPU seconds of a process (/proc/PID/stat fields 14 and 15).
private func processCPU(_ pid: pid_t) -> Double {
    guard let text = try? readFile("/proc/\(pid)/stat"), let close = text.lastIndex(of: ")") else { return 0 }
    let fields = text[text.index(after: close)...].split(separator: " ")
    guard fields.count > 13, let user = Double(fields[11]), let system = Double(fields[12]) else { return 0 }
    return (user + system) / Double(sysconf(Int32(_SC_CLK_TCK)))
}

/// VmRSS of a process, kB.
private func residentKB(_ pid: pid_t) -> Int {
    guard let text = try? readFile("/proc/\(pid)/status") else { return 0 }
    for line in text.split(separator: "\n") where line.hasPrefix("VmRSS:") {
        return Int(line.split(separator: " ").dropFirst().first ?? "") ?? 0
    }
    return 0
}

/// Bytes of the regular files under `directory` (one level of day folders).
private func totalBytes(_ directory: String) -> Int {
    var total = 0
    guard let top = opendir(directory) else { return 0 }
    defer { closedir(top) }
    while let entry = readdir(top) {
        let day = withUnsafeBytes(of: entry.pointee.d_name) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
        guard !day.hasPrefix(".") else { continue }
        guard let folder = opendir(directory + "/" + day) else { continue }
        while let file = readdir(folder) {
            let name = withUnsafeBytes(of: file.pointee.d_name) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
            var info = stat()
            if name.hasSuffix(".jpg"), stat(directory + "/" + day + "/" + name, &info) == 0 { total += Int(info.st_size) }
        }
        closedir(folder)
    }
    return total
}
