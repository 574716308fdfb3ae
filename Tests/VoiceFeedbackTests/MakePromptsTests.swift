import StationTestSupport
import Testing
import VoiceFeedback
#if canImport(Glibc)
import Glibc
#endif

/// `deploy/make-prompts`, what `make install` runs: every prompt of both languages, each one the player can play.
@Suite("make-prompts")
struct MakePromptsTests {
    static let script: String = {
        var path = #filePath
        for _ in 0..<3 { path = String(path[..<path.lastIndex(of: "/")!]) }
        return path + "/deploy/make-prompts"
    }()

    static var toolsInstalled: Bool {
        access("/usr/bin/espeak-ng", X_OK) == 0 && access("/usr/bin/sox", X_OK) == 0
    }

    @Test(
        "renders the 11 prompts in zh and en: 16-bit PCM mono, trimmed to the words",
        .enabled(if: toolsInstalled, "needs espeak-ng and sox (make deps installs them)"), .timeLimit(.minutes(1)))
    func rendersEveryPrompt() throws {
        let directory = try TemporaryDirectory(prefix: "make-prompts")
        defer { directory.remove() }
        let result = runProcess(["/bin/bash", Self.script, directory.path + "/voice"])
        try #require(result.status == 0, "\(result)")
        for language in ["zh", "en"] {
            for prompt in Prompt.allCases {
                let sound = try WAVReader.read(directory.path + "/voice/\(language)/\(prompt.fileName)")
                #expect(sound.sampleRate == 22_050)
                // Words, not espeak-ng's half second of trailing silence: short, and neither end silent.
                #expect((0.3...2.5).contains(sound.duration), "\(language)/\(prompt.fileName): \(sound.duration) s")
                #expect(sound.samples.prefix(200).contains { abs(Int($0)) > 100 }, "\(language)/\(prompt.fileName) starts with its words")
                #expect(sound.samples.suffix(2_000).contains { abs(Int($0)) > 100 }, "\(language)/\(prompt.fileName) ends with its words")
            }
        }
        #expect(runProcess(["/bin/bash", Self.script]).status == 2, "no folder: usage, exit 2")
    }
}
