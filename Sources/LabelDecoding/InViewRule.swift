/// When a code read by the camera counts as a scan (SPEC §4): a parcel counts once while it stays in view.
///
/// Each code (its text and symbology) is tracked on its own, so several labels in view are several scans:
/// - A code is accepted when it decoded identically in ``confirmations`` (default 2) consecutive frames the rule was
///   given. A frame it is not decoded in resets its count: a misread seldom repeats in the next frame, while a
///   label that is really there is read again within a frame or two (at 15 fps a second holds 15 chances).
///   "Consecutive" is among the frames passed to ``observe(_:in:)``: give the rule every frame that was decoded,
///   including those with no code (frames the decode worker dropped as stale are not frames of the rule).
/// - An accepted code is not accepted again while it stays in view, with gaps in its decoding shorter than
///   ``outOfViewNanos`` (default 1.5 s) allowed; once it has not been decoded for that long (from the last frame it
///   was decoded in to the next one it is decoded in), it counts as a new scan again after ``confirmations``
///   frames. The duplicate window of SPEC §5.4 applies to that scan as to any other.
/// - The same code twice in one frame is one observation.
///
/// Pure: no clock of its own (the frames' ``Frame/arrivalNanos`` is the time), no I/O. A code is remembered only
/// while it is in view or within ``outOfViewNanos`` of it, so the state stays small.
public struct InViewRule: Sendable {
    /// A code to count now, with the frame it was decoded from (the one whose decoding made it count): the
    /// caller keeps that frame as the release photo.
    public struct Acceptance: Sendable, Equatable {
        public var label: DecodedLabel
        public var frame: Frame
    }

    /// How many consecutive frames must decode a code identically before it counts (at least 1; default 2).
    public let confirmations: Int
    /// How long (nanoseconds) an accepted code must go undecoded before it can count again (default 1.5 s).
    public let outOfViewNanos: UInt64

    private struct Key: Hashable, Sendable {
        let text: String
        let symbology: Symbology
    }

    private struct Track: Sendable {
        /// Consecutive frames it was decoded in (until accepted).
        var streak: Int
        var lastSeen: UInt64
        var accepted: Bool
    }

    private var tracks: [Key: Track] = [:]

    /// - Parameters:
    ///   - confirmations: consecutive identical decodes that make a code count (default 2; values below 1 are 1).
    ///   - outOfViewNanos: how long an accepted code must go undecoded to count again (default 1.5 s).
    public init(confirmations: Int = 2, outOfViewNanos: UInt64 = 1_500_000_000) {
        self.confirmations = max(confirmations, 1)
        self.outOfViewNanos = outOfViewNanos
    }

    /// Codes tracked now (in view, or accepted and out of view for less than ``outOfViewNanos``).
    public var trackedCount: Int { tracks.count }

    /// Takes the codes decoded from one frame and says which of them count now.
    /// - Parameters:
    ///   - labels: what ``LabelDecoder/decode(_:)`` read from `frame` (empty when nothing).
    ///   - frame: the frame; its ``Frame/arrivalNanos`` is the time, and it is returned with each acceptance.
    /// - Returns: the codes that count now, in the order of `labels`.
    public mutating func observe(_ labels: [DecodedLabel], in frame: Frame) -> [Acceptance] {
        let now = frame.arrivalNanos
        var seen: [Key: DecodedLabel] = [:]
        var order: [Key] = []
        for label in labels {
            let key = Key(text: label.text, symbology: label.symbology)
            if seen.updateValue(label, forKey: key) == nil { order.append(key) }
        }
        let outOfView = outOfViewNanos
        tracks = tracks.filter { key, track in
            // A time earlier than the last one (it should not happen on a monotonic clock) counts as no time.
            let absent = now > track.lastSeen ? now - track.lastSeen : 0
            if seen[key] != nil {
                // Seen again: an accepted code that was out of view long enough starts afresh.
                return !track.accepted || absent < outOfView
            }
            // Not in this frame: a count towards acceptance is reset; an accepted code is remembered for a while.
            return track.accepted && absent < outOfView
        }
        var accepted: [Acceptance] = []
        for key in order {
            var track = tracks[key] ?? Track(streak: 0, lastSeen: now, accepted: false)
            track.lastSeen = now
            if !track.accepted {
                track.streak += 1
                if track.streak >= confirmations {
                    track.accepted = true
                    accepted.append(Acceptance(label: seen[key]!, frame: frame))
                }
            }
            tracks[key] = track
        }
        return accepted
    }
}
