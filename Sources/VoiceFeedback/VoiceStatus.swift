public import HumanWords

/// What the sound device is doing, for the log, `doctor` and the tests.
public enum VoiceDeviceState: Sendable, Equatable {
    /// Not tried yet.
    case notOpened
    /// Open and playing prompts.
    case ready
    /// The PCM name does not exist, or its card is gone.
    case missing(reason: String)
    /// Another program holds the device.
    case busy
    /// This user may not open the device.
    case noPermission(reason: String)
    /// It opened but refused the format, or failed while playing.
    case failed(reason: String)

    /// The kind, for warning once per kind of problem.
    var kind: String {
        switch self {
        case .notOpened: "not-opened"
        case .ready: "ready"
        case .missing: "missing"
        case .busy: "busy"
        case .noPermission: "no-permission"
        case .failed: "failed"
        }
    }

    /// What is wrong with the device named `pcm`, and what to do about it; nil when nothing is.
    public func problem(pcm: String) -> (what: Words, fix: Words)? {
        switch self {
        case .notOpened, .ready:
            return nil
        case .missing(let reason):
            return (Words("no sound device '\(pcm)' (\(reason))"), Words("check `aplay -l` and `aplay -L`, set [voice] pcm"))
        case .busy:
            return (Words("sound device '\(pcm)' is busy (another program holds it)"),
                Words("stop that program (fuser -v /dev/snd/*), or set [voice] pcm to a shared device such as \"default\""))
        case .noPermission(let reason):
            return (Words("sound device '\(pcm)' may not be opened by this user (\(reason))"),
                Words("add the service user to group audio (usermod -aG audio station-agent)"))
        case .failed(let reason):
            return (Words("sound device '\(pcm)' failed (\(reason))"),
                Words("check the speaker's connection, and try it: aplay -D \(pcm) <a prompt>.wav"))
        }
    }
}

/// The voice's state as a whole: the device and the prompts that cannot be played.
public struct VoiceStatus: Sendable, Equatable {
    public var pcm: String
    public var promptsDirectory: String
    public var device: VoiceDeviceState
    /// Prompts that stay silent, with why (file missing, not 16-bit PCM mono, ...).
    public var promptProblems: [Prompt: String]

    public init(pcm: String, promptsDirectory: String, device: VoiceDeviceState, promptProblems: [Prompt: String]) {
        self.pcm = pcm
        self.promptsDirectory = promptsDirectory
        self.device = device
        self.promptProblems = promptProblems
    }

    /// The prompts that cannot be played and what to do, or nil when every prompt can be.
    public var promptProblem: (what: Words, fix: Words)? {
        guard !promptProblems.isEmpty else { return nil }
        let listed = Prompt.allCases.compactMap { prompt in promptProblems[prompt].map { "\(prompt.fileName) (\($0))" } }
        return (Words("prompt missing or unusable in \(promptsDirectory): \(listed.joined(separator: ", ")): those verdicts stay silent"),
            Words("render them with deploy/make-prompts (make install does), or copy a recording saved as 16-bit PCM mono WAV"))
    }
}
