import SystemSupport
#if canImport(Glibc)
import Glibc
#endif

/// Test prompts: one pure tone per prompt, each of a different frequency, so a prompt played in place of another
/// shows in the recorded samples. 16-bit mono at 16 kHz, 0.3 s each.
public enum TonePrompts {
    /// The prompt file names of SPEC §6, in the order of `Prompt.allCases`.
    public static let names = [
        "received", "rescan", "released", "not_in_stock", "already_released", "rejected", "duplicate", "mode_in",
        "mode_out", "undone", "storage_fault",
    ]
    public static let sampleRate = 16_000
    public static let seconds = 0.3

    /// The tone of the prompt at `index` of ``names``: a cosine (its first sample is not zero) of 400 + 150 × index Hz.
    public static func samples(_ index: Int, seconds: Double = seconds) -> [Int16] {
        let frequency = 400.0 + 150.0 * Double(index)
        let count = Int(Double(sampleRate) * seconds)
        return (0..<count).map { Int16((9_000 * cos(2 * Double.pi * frequency * Double($0) / Double(sampleRate))).rounded()) }
    }

    public static func samples(named name: String, seconds: Double = seconds) -> [Int16] {
        samples(names.firstIndex(of: name)!, seconds: seconds)
    }

    /// A WAV file's bytes: RIFF, 16-bit PCM, mono.
    public static func wav(_ samples: [Int16], sampleRate: Int = sampleRate, channels: Int = 1, bits: Int = 16, format: Int = 1) -> [UInt8] {
        func le32(_ value: Int) -> [UInt8] { (0..<4).map { UInt8(truncatingIfNeeded: value >> (8 * $0)) } }
        func le16(_ value: Int) -> [UInt8] { (0..<2).map { UInt8(truncatingIfNeeded: value >> (8 * $0)) } }
        let data = samples.flatMap { le16(Int($0)) }
        let blockAlign = channels * bits / 8
        let fmt = le16(format) + le16(channels) + le32(sampleRate) + le32(sampleRate * blockAlign) + le16(blockAlign) + le16(bits)
        return Array("RIFF".utf8) + le32(4 + 8 + fmt.count + 8 + data.count) + Array("WAVE".utf8)
            + Array("fmt ".utf8) + le32(fmt.count) + fmt + Array("data".utf8) + le32(data.count) + data
    }

    /// Writes every prompt (or those of `only`) as `<name>.wav` into `directory` (which must exist).
    public static func write(to directory: String, seconds: Double = seconds, only: [String]? = nil) throws {
        for (index, name) in names.enumerated() where only?.contains(name) ?? true {
            try writeFile(directory + "/" + name + ".wav", wav(samples(index, seconds: seconds)))
        }
    }

    public struct WriteError: Error, CustomStringConvertible {
        public let path: String
        public let errno: Int32
        public var description: String { "cannot write \(path): errno \(errno)" }
    }

    public static func writeFile(_ path: String, _ bytes: [UInt8]) throws {
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw WriteError(path: path, errno: errno) }
        defer { close(fd) }
        guard bytes.withUnsafeBytes({ Glibc.write(fd, $0.baseAddress, $0.count) }) == bytes.count else {
            throw WriteError(path: path, errno: errno)
        }
    }

    /// The 16-bit samples in a raw file the ALSA `file` plugin recorded (empty when there is none yet).
    public static func recorded(_ path: String) -> [Int16] {
        guard case .success(let bytes) = SystemFile.read(path, limit: 1 << 30) else { return [] }
        return stride(from: 0, to: bytes.count - 1, by: 2).map { Int16(bitPattern: UInt16(bytes[$0]) | UInt16(bytes[$0 + 1]) << 8) }
    }

    /// The size of a recorded file in bytes (0 when there is none yet).
    public static func recordedSize(_ path: String) -> Int {
        var info = stat()
        return stat(path, &info) == 0 ? Int(info.st_size) : 0
    }

    /// The prompts heard, in order, in a recording of whole prompts with silence (zeros, the padding to a period)
    /// between them; nil with what was found where something that is no prompt begins.
    public static func heard(_ recorded: [Int16], seconds: Double = seconds) -> (names: [String], unrecognized: Int?) {
        let tones = names.indices.map { samples($0, seconds: seconds) }
        var heard: [String] = []
        var position = 0
        while position < recorded.count {
            if recorded[position] == 0 {
                position += 1
                continue
            }
            guard let index = tones.firstIndex(where: { tone in
                position + tone.count <= recorded.count && recorded[position..<position + tone.count].elementsEqual(tone)
            }) else {
                return (heard, position)
            }
            heard.append(names[index])
            position += tones[index].count
        }
        return (heard, nil)
    }

    /// An asound.conf with one `file` PCM per name: `pcm.<name>` records what is played to it into
    /// `<directory>/<name>.raw` and discards it (`null`). Use it with
    /// `ALSA_CONFIG_PATH=/usr/share/alsa/alsa.conf:<directory>/asound.conf`.
    @discardableResult
    public static func writeAlsaConfiguration(in directory: String, pcms: [String]) throws -> String {
        let text = pcms.map { "pcm.\($0) { type file; slave.pcm \"null\"; file \"\(directory)/\($0).raw\"; format \"raw\" }\n" }.joined()
        let path = directory + "/asound.conf"
        try writeFile(path, Array(text.utf8))
        return "/usr/share/alsa/alsa.conf:" + path
    }
}
