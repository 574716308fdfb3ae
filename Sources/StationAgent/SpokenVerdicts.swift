public import HumanWords
public import Logging
public import ParcelRules
public import StationConfig
import Synchronization
public import VoiceFeedback

/// The box's voice (SPEC §6) as the agent holds it: a ``VoicePlayer`` while `[voice]` is on, none while it is off,
/// replaced or retuned when SIGHUP loads a changed `[voice]`.
public final class SpokenVerdicts: Sendable {
    private let player = Mutex<VoicePlayer?>(nil)
    private let logger: Logger

    /// Starts the player when `configuration` (the `[voice]` table) is on.
    public init(_ configuration: VoiceConfiguration?, logger: Logger) {
        self.logger = logger
        configure(configuration)
    }

    /// Applies a (re)loaded `[voice]`: starts, retunes (prompts loaded again, the device reopened if `pcm`
    /// changed) or stops the player.
    public func configure(_ configuration: VoiceConfiguration?) {
        guard let configuration else {
            if let old = player.withLock({ current -> VoicePlayer? in
                defer { current = nil }
                return current
            }) {
                old.stop()
                logger.info("voice: off ([voice] removed or enabled = false)")
            }
            return
        }
        let settings = VoicePlayer.Settings(
            pcm: configuration.pcm, volume: configuration.volume, promptsDirectory: configuration.promptsDirectory)
        if let current = player.withLock({ $0 }) {
            current.reconfigure(settings)
            logger.info("voice: reloaded: device '\(settings.pcm)', volume \(settings.volume), prompts from \(settings.promptsDirectory)")
        } else {
            logger.info("voice: speaking the verdicts through '\(settings.pcm)' at volume \(settings.volume), prompts from \(settings.promptsDirectory)")
            let fresh = VoicePlayer(settings: settings, logger: logger)
            player.withLock { $0 = fresh }
        }
    }

    /// Speaks `prompt`; returns at once (the player has a thread of its own).
    /// - Parameter answeredAt: when the journal answered (``VoiceFeedback/monotonicNanos()``), for the latency.
    public func speak(_ prompt: Prompt, answeredAt: Int64) {
        player.withLock { $0 }?.say(prompt, requestedAt: answeredAt)
    }

    /// Whether `[voice]` is on (a player runs).
    public var isOn: Bool { player.withLock { $0 != nil } }

    /// The player's state, nil while the voice is off.
    public var status: VoiceStatus? { player.withLock { $0 }?.status }

    /// For systemd's STATUS= line: what is wrong with the voice, nil while it is off or well.
    public var statusLine: Words? {
        guard let status else { return nil }
        if let problem = status.device.problem(pcm: status.pcm) { return Words("voice silent: \(problem.what)") }
        if !status.promptProblems.isEmpty { return Words("voice: \(status.promptProblems.count) prompt(s) missing") }
        return nil
    }

    /// Stops the player (at the end of a run).
    public func stop() { configure(nil) }
}

extension Prompt {
    /// What the box says after the journal accepted a scan (SPEC §6): every outcome maps to exactly one prompt.
    ///
    /// A mode card that switched the device says the new mode; one a fixed-role device ignored says the mode it stays
    /// in. An UNDO that cancelled an event says "undone"; one that found nothing to undo (or was refused because
    /// another device counted the parcel since) says "rejected", so the operator knows nothing was undone.
    public static func verdict(of decision: Decision, role: DeviceRole) -> Prompt {
        switch decision.outcome {
        case .received: return .received
        case .rescan: return .rescan
        case .released: return .released
        case .releasedUnmatched: return .notInStock
        case .repeatRelease: return .alreadyReleased
        case .rejected: return .rejected
        case .duplicate: return .duplicate
        case .command:
            switch decision.command {
            case .modeIn, .modeOut:
                let direction = decision.modeChange ?? role.fixedDirection ?? decision.command?.selectedDirection
                switch direction {
                case .inbound: return .modeIn
                case .outbound: return .modeOut
                case nil: return .rejected
                }
            case .undo:
                return decision.undo != nil ? .undone : .rejected
            case nil:
                return .rejected
            }
        }
    }
}
