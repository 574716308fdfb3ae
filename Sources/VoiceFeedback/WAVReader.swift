import SystemSupport

/// One prompt's sound: 16-bit mono samples at their rate.
public struct PromptSound: Sendable, Equatable {
    public let sampleRate: Int
    public let samples: [Int16]

    public init(sampleRate: Int, samples: [Int16]) {
        self.sampleRate = sampleRate
        self.samples = samples
    }

    /// How long it plays, in seconds.
    public var duration: Double { Double(samples.count) / Double(sampleRate) }

    /// The samples scaled to `volume` percent (0-100).
    public func scaled(volume: Int) -> PromptSound {
        guard volume != 100 else { return self }
        let factor = Int32(max(0, min(100, volume)))
        return PromptSound(sampleRate: sampleRate, samples: samples.map { Int16(clamping: Int32($0) * factor / 100) })
    }
}

/// A prompt file that cannot be played: the message names the file and what is wrong with it.
public struct WAVError: Error, Sendable, Equatable, CustomStringConvertible {
    public let path: String
    public let reason: String

    public init(path: String, reason: String) {
        self.path = path
        self.reason = reason
    }

    public var description: String { "prompt \(path) cannot be used: \(reason)" }
}

/// Reads the prompts: RIFF/WAVE files of 16-bit PCM, mono, at any rate (what `espeak-ng -w` and `sox` write, and
/// what a recording saved as "WAV 16-bit mono" is). Anything else is refused, not guessed at.
public enum WAVReader {
    /// A prompt is a second or two (about 50 KB); a file over this is not one.
    public static let sizeLimit = 8 << 20

    /// The sound in the file at `path`.
    /// - Throws: ``WAVError`` naming the file: missing, unreadable, too large, or not 16-bit PCM mono.
    public static func read(_ path: String) throws(WAVError) -> PromptSound {
        switch SystemFile.read(path, limit: sizeLimit, options: .regularFileOnly) {
        case .success(let bytes):
            return try decode(bytes, path: path)
        case .failure(let error):
            switch error.code {
            case ENOENT: throw WAVError(path: path, reason: "the file is missing")
            case EFBIG: throw WAVError(path: path, reason: "the file is larger than \(sizeLimit >> 20) MiB: a prompt is a second or two")
            case EINVAL, ELOOP: throw WAVError(path: path, reason: "not a regular file (a link, folder or device)")
            default: throw WAVError(path: path, reason: "cannot be read: \(error)")
            }
        }
    }

    /// The sound in `bytes`, a WAV file's contents; `path` names it in errors.
    public static func decode(_ bytes: [UInt8], path: String) throws(WAVError) -> PromptSound {
        func fail(_ reason: String) -> WAVError { WAVError(path: path, reason: reason) }
        func u16(_ at: Int) -> Int { Int(bytes[at]) | Int(bytes[at + 1]) << 8 }
        func u32(_ at: Int) -> Int { u16(at) | u16(at + 2) << 16 }
        func tag(_ at: Int) -> String { String(decoding: bytes[at..<at + 4], as: UTF8.self) }
        guard bytes.count >= 12, tag(0) == "RIFF", tag(8) == "WAVE" else {
            throw fail("not a WAV file (no RIFF/WAVE header): save it as WAV, 16-bit PCM, mono")
        }
        var rate: Int?
        var offset = 12
        while offset + 8 <= bytes.count {
            let id = tag(offset)
            let size = u32(offset + 4)
            let body = offset + 8
            guard size <= bytes.count - body else {
                throw fail("the file is cut short (its '\(id)' chunk says \(size) bytes, \(bytes.count - body) are there)")
            }
            if id == "fmt " {
                guard size >= 16 else { throw fail("its format chunk is too short") }
                var format = u16(body)
                // WAVE_FORMAT_EXTENSIBLE: the real format is the first two bytes of the sub-format GUID.
                if format == 0xFFFE, size >= 26 { format = u16(body + 24) }
                let channels = u16(body + 2)
                let bits = u16(body + 14)
                guard format == 1 else { throw fail("not PCM (format \(format), compressed or floating point): save it as 16-bit PCM, mono") }
                guard bits == 16 else { throw fail("\(bits)-bit samples: save it as 16-bit PCM, mono") }
                guard channels == 1 else { throw fail("\(channels) channels: save it as mono (sox in.wav -c 1 out.wav)") }
                let sampleRate = u32(body + 4)
                guard (4_000...192_000).contains(sampleRate) else { throw fail("a sample rate of \(sampleRate) Hz (4,000-192,000 expected)") }
                rate = sampleRate
            } else if id == "data" {
                guard let rate else { throw fail("the sound comes before its format chunk") }
                let count = size / 2
                guard count > 0 else { throw fail("it holds no sound") }
                var samples = [Int16](repeating: 0, count: count)
                for index in 0..<count {
                    samples[index] = Int16(bitPattern: UInt16(truncatingIfNeeded: u16(body + 2 * index)))
                }
                return PromptSound(sampleRate: rate, samples: samples)
            }
            offset = body + size + (size & 1)
        }
        throw fail(rate == nil ? "it has no format chunk" : "it has no sound (no data chunk)")
    }
}

#if canImport(Glibc)
import Glibc
#endif
