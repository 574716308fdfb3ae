import HumanWords
import Logging
public import StationConfig
import VoiceFeedback
#if canImport(Glibc)
import Glibc
#endif

/// `doctor`'s line for `[voice]` (SPEC §6): off, or the device and the prompts as the agent would find them. A
/// problem is a warning, not a failure: scans are recorded as always, only the voice is silent.
extension Doctor {
    static func voice(_ configuration: StationConfiguration) -> DoctorCheck {
        guard let voice = configuration.voice else {
            return DoctorCheck("voice", .pass, "off (no [voice], or enabled = false): verdicts are not spoken")
        }
        let status = VoicePlayer.probe(
            VoicePlayer.Settings(pcm: voice.pcm, volume: voice.volume, promptsDirectory: voice.promptsDirectory))
        return check(status, volume: voice.volume)
    }

    static func check(_ status: VoiceStatus, volume: Int) -> DoctorCheck {
        let unaffected = Words("scans are recorded as always, only the voice is silent")
        if status.device == .busy {
            // The running agent holds a device that is not shared (a hw: device) for as long as it runs.
            return DoctorCheck(
                "voice", .warn,
                "sound device '\(status.pcm)' is busy: the running agent holds it (then all is well), or another program does; \(unaffected)",
                fix: "if the agent is not running: fuser -v /dev/snd/*; or set [voice] pcm to a shared device such as \"default\"")
        }
        if let problem = status.device.problem(pcm: status.pcm) {
            // One line: the device first; the prompts' problem, if any, is said too (doctor again once it is fixed).
            let prompts = status.promptProblems.isEmpty ? Words.verbatim("") : Words("; and \(status.promptProblems.count) of \(Prompt.allCases.count) prompts in \(status.promptsDirectory) cannot be used")
            return DoctorCheck("voice", .warn, "\(problem.what); \(unaffected)\(prompts)", fix: problem.fix)
        }
        if let problem = status.promptProblem {
            return DoctorCheck("voice", .warn, problem.what, fix: problem.fix)
        }
        return DoctorCheck(
            "voice", .pass,
            "speaks through sound device '\(status.pcm)' at volume \(volume), \(Prompt.allCases.count) prompts in \(status.promptsDirectory)")
    }
}

extension Doctor {
    /// With `[voice]` on: WARN when the installed unit keeps the agent from the sound card (the shipped
    /// `DevicePolicy=closed` without `DeviceAllow=char-alsa`, or no group audio) and no drop-in gives it back. Nil
    /// when no unit is installed (a hand-run agent).
    public static func unitSound(
        unitPaths: [String] = installedUnitPaths, dropInDirectories: [String] = installedDropInDirectories
    ) -> DoctorCheck? {
        guard let texts = installedUnit(unitPaths: unitPaths, dropInDirectories: dropInDirectories) else { return nil }
        var policy = "auto"
        var allowed: [Substring] = []
        var groups: [Substring] = []
        var group: Substring = ""
        for (key, value) in unitAssignments(texts) {
            switch key {
            case "DevicePolicy": policy = value.isEmpty ? "auto" : String(value)
            // An empty assignment resets the list (systemd.resource-control, systemd.exec).
            case "DeviceAllow": if value.isEmpty { allowed = [] } else { allowed.append(value) }
            case "SupplementaryGroups": if value.isEmpty { groups = [] } else { groups += value.split(separator: " ") }
            case "Group": group = value
            default: continue
            }
        }
        let mayOpen = policy == "auto" || allowed.contains { $0.hasPrefix("char-alsa") || $0.hasPrefix("/dev/snd") }
        let inAudio = group == "audio" || groups.contains("audio")
        if mayOpen && inAudio {
            return DoctorCheck("voice unit", .pass, "the service's unit lets the agent open the sound card")
        }
        let missing = [mayOpen ? nil : "DeviceAllow=char-alsa", inAudio ? nil : "group audio"].compactMap { $0 }
        return DoctorCheck(
            "voice unit", .warn,
            "the installed unit keeps the agent from the sound card (no \(missing.joined(separator: ", no "))): the verdicts would not be spoken",
            fix: .command("install -D -m 0644 /usr/share/station-agent/voice-sound.conf /etc/systemd/system/station-agent.service.d/voice-sound.conf && systemctl daemon-reload && systemctl restart station-agent"))
    }

    /// `doctor --play`: each prompt once, in the order of SPEC §6, through the configured device, saying each one's
    /// name before it plays (so a technician hears which file is which).
    /// - Returns: whether every prompt was played.
    public static func playPrompts(_ configuration: StationConfiguration, say: (String) -> Void) -> Bool {
        guard let voice = configuration.voice else {
            say("voice is off (no [voice], or enabled = false): nothing to play")
            return false
        }
        // Problems are said here, in the doctor's words, not logged.
        let player = VoicePlayer(
            settings: VoicePlayer.Settings(pcm: voice.pcm, volume: voice.volume, promptsDirectory: voice.promptsDirectory),
            logger: Logger(label: "doctor", factory: { _ in SwiftLogNoOpLogHandler() }))
        defer { player.stop() }
        // The player opens the device on its thread at once: without a device there is nothing to try eleven times.
        let opened = monotonicNanos() + 5_000_000_000
        while player.status.device == .notOpened && monotonicNanos() < opened { usleep(5_000) }
        if let problem = player.status.device.problem(pcm: voice.pcm) {
            say("NOT played: \(problem.what): \(problem.fix)")
            return false
        }
        var allPlayed = true
        for prompt in Prompt.allCases {
            if let problem = player.status.promptProblems[prompt] {
                say("\(prompt.fileName): NOT played: \(problem)")
                allPlayed = false
                continue
            }
            let before = player.statistics
            say("\(prompt.fileName) ...")
            player.say(prompt)
            let deadline = monotonicNanos() + 10_000_000_000
            var now = player.statistics
            while now.played == before.played && now.dropped == before.dropped && monotonicNanos() < deadline {
                usleep(10_000)
                now = player.statistics
            }
            if now.played == before.played {
                let problem = player.status.device.problem(pcm: voice.pcm)
                say("\(prompt.fileName): NOT played: \(problem.map { "\($0.what): \($0.fix)" } ?? "no answer from the sound device within 10 s")")
                allPlayed = false
            }
        }
        return allPlayed
    }
}
