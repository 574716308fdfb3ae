import StationTestSupport
import Testing
import VoiceFeedback

/// The prompts' files (SPEC §6: 16-bit PCM, mono): what plays, and every other file refused with its name and why.
@Suite("WAV reader")
struct WAVReaderTests {
    let path = "/usr/share/station-agent/voice/zh/received.wav"

    @Test("16-bit PCM mono at any rate: the samples as written")
    func goodFile() throws {
        let samples: [Int16] = [0, 1, -1, 32_767, -32_768, 1234]
        for rate in [8_000, 16_000, 22_050, 48_000] {
            let sound = try WAVReader.decode(TonePrompts.wav(samples, sampleRate: rate), path: path)
            #expect(sound == PromptSound(sampleRate: rate, samples: samples))
        }
        #expect(try WAVReader.decode(TonePrompts.wav(TonePrompts.samples(0)), path: path).duration == 0.3)
    }

    @Test("chunks before the sound (LIST, odd sizes padded) are skipped; WAVE_FORMAT_EXTENSIBLE with PCM is PCM")
    func otherChunks() throws {
        var bytes = TonePrompts.wav([5, 6, 7])
        // A 3-byte LIST chunk (padded to 4) between fmt and data.
        let list: [UInt8] = Array("LIST".utf8) + [3, 0, 0, 0] + [1, 2, 3, 0]
        bytes.insert(contentsOf: list, at: 36)
        #expect(try WAVReader.decode(bytes, path: path).samples == [5, 6, 7])
        // Extensible: format 0xFFFE, 40-byte fmt, sub-format GUID starting 01 00 (PCM).
        var fmt: [UInt8] = [0xFE, 0xFF, 1, 0, 0x80, 0x3E, 0, 0, 0, 0x7D, 0, 0, 2, 0, 16, 0, 22, 0, 16, 0, 4, 0, 0, 0]
        fmt += [1, 0, 0, 0, 0, 0, 0x10, 0, 0x80, 0, 0, 0xAA, 0, 0x38, 0x9B, 0x71]
        let data: [UInt8] = [9, 0]
        let extensible = Array("RIFF".utf8) + [UInt8(4 + 8 + fmt.count + 8 + data.count), 0, 0, 0] + Array("WAVE".utf8)
            + Array("fmt ".utf8) + [UInt8(fmt.count), 0, 0, 0] + fmt + Array("data".utf8) + [2, 0, 0, 0] + data
        #expect(try WAVReader.decode(extensible, path: path) == PromptSound(sampleRate: 16_000, samples: [9]))
    }

    static let refusals: [(bytes: [UInt8], reason: String)] = {
        var cases: [(bytes: [UInt8], reason: String)] = []
        cases.append((TonePrompts.wav([1, 2], channels: 2), "2 channels: save it as mono"))
        cases.append((TonePrompts.wav([1, 2], bits: 8), "8-bit samples"))
        cases.append((TonePrompts.wav([1, 2], bits: 24), "24-bit samples"))
        cases.append((TonePrompts.wav([1, 2], format: 3), "not PCM (format 3"))
        cases.append((TonePrompts.wav([1, 2], sampleRate: 1_000), "sample rate of 1000 Hz"))
        cases.append((TonePrompts.wav([]), "holds no sound"))
        cases.append((Array("ID3\u{3}MP3 data here".utf8), "not a WAV file"))
        cases.append((Array(TonePrompts.wav([1, 2, 3, 4]).dropLast(3)), "cut short"))
        cases.append((Array(TonePrompts.wav([1, 2]).prefix(36)), "no data chunk"))
        cases.append((Array("RIFF".utf8) + [4, 0, 0, 0] + Array("WAVE".utf8), "no format chunk"))
        return cases
    }()

    @Test("anything else is refused, naming the file and what to do", arguments: Self.refusals)
    func refused(_ refusal: (bytes: [UInt8], reason: String)) throws {
        let error = try #require(throws: WAVError.self) { try WAVReader.decode(refusal.bytes, path: path) }
        #expect(error.reason.contains(refusal.reason), "\(error)")
        #expect(error.description.hasPrefix("prompt \(path) cannot be used: "))
    }

    @Test("a missing file and a folder are refused with the path")
    func files() throws {
        let directory = try TemporaryDirectory(prefix: "wav-reader")
        defer { directory.remove() }
        let missing = try #require(throws: WAVError.self) { try WAVReader.read(directory.path + "/received.wav") }
        #expect(missing.description == "prompt \(directory.path)/received.wav cannot be used: the file is missing")
        let folder = try #require(throws: WAVError.self) { try WAVReader.read(directory.path) }
        #expect(folder.reason.contains("not a regular file"), "\(folder)")
        try TonePrompts.writeFile(directory.path + "/ok.wav", TonePrompts.wav([3, -3]))
        #expect(try WAVReader.read(directory.path + "/ok.wav").samples == [3, -3])
    }

    @Test("volume: samples scaled, 100 unchanged, 0 silent")
    func volume() {
        let sound = PromptSound(sampleRate: 16_000, samples: [1000, -1000, 32_767, -32_768])
        #expect(sound.scaled(volume: 100) == sound)
        #expect(sound.scaled(volume: 50).samples == [500, -500, 16_383, -16_384])
        #expect(sound.scaled(volume: 0).samples == [0, 0, 0, 0])
    }
}
