/// The scan rules of SPEC §5 and the verdict of §6: a pure function of (scan, configuration, state) → decision.
///
/// No I/O and no clock: the journal supplies the state through ``RuleState`` and records the ``Decision`` in one
/// transaction, so the same scans against the same state always decide the same way — which is what lets the
/// journal's tests compare it with ``InMemoryParcelLedger``.
///
/// The order of the rules is the order of SPEC §5: normalise; command cards (before validity, since `#` and `:`
/// would otherwise reject them); direction from the role or the persisted mode; validity; duplicate (only against
/// counted events, so it needs a valid code); carrier; lifecycle; verdict.
public struct ScanRules: Sendable {
    /// The configuration in force (reloaded on SIGHUP by building a new value).
    public var configuration: RuleConfiguration
    /// The carrier table.
    public var carriers: CarrierTable

    /// Creates the rules.
    public init(configuration: RuleConfiguration = RuleConfiguration(), carriers: CarrierTable = .standard) {
        self.configuration = configuration
        self.carriers = carriers
    }

    /// Decides one scan.
    ///
    /// - Parameters:
    ///   - scan: the scan.
    ///   - state: the journal's state, queried only for what this scan needs.
    /// - Returns: the decision, for the journal to record.
    /// - Throws: whatever the state's lookups throw; nothing of the rules' own.
    public func decide<State: RuleState>(_ scan: ScanInput, state: State) throws(State.Failure) -> Decision {
        let normalized = NormalizedScan(raw: scan.text, reportedSymbology: scan.reportedSymbology)

        if let card = CommandCard(code: normalized.code) {
            return try decideCommand(card, scan: scan, normalized: normalized, state: state)
        }

        let direction = try currentDirection(device: scan.device, role: scan.role, state: state)

        if let reason = Validity.rejection(for: normalized) {
            return Decision(
                scan: scan, normalized: normalized, outcome: .rejected, reason: reason, direction: direction,
                verdict: verdict(direction, .rejected))
        }

        let code = normalized.code
        let carrier = carriers.match(code)

        if let last = try state.newestCountedEvent(code: code, device: scan.device, direction: direction),
            scan.time.repeats(last.time, within: configuration.duplicateWindowNanos)
        {
            return Decision(
                scan: scan, normalized: normalized, outcome: .duplicate, direction: direction, carrier: carrier,
                duplicateOf: last.seq, verdict: verdict(direction, .duplicate, duplicateOf: last.outcome))
        }

        let before = try state.newestCountedEvent(code: code)?.stateAfter ?? .absent
        let outcome = Lifecycle.outcome(of: direction, when: before)
        return Decision(
            scan: scan, normalized: normalized, outcome: outcome, direction: direction, carrier: carrier,
            parcel: ParcelTransition(before: before, after: outcome.stateAfter ?? before),
            verdict: verdict(direction, outcome))
    }

    /// The direction a device scans in now: its fixed role's, or a switchable device's persisted mode (inbound
    /// until the first `#STATION:OUT`, SPEC §5.3).
    public func currentDirection<State: RuleState>(
        device: String, role: DeviceRole, state: State
    ) throws(State.Failure) -> Direction {
        if let fixed = role.fixedDirection { return fixed }
        return try state.switchableMode(device: device) ?? .inbound
    }

    private func verdict(_ direction: Direction, _ outcome: Outcome, duplicateOf original: Outcome? = nil) -> Verdict? {
        direction == .outbound ? Verdict.forOutbound(outcome, duplicateOf: original) : nil
    }

    private func decideCommand<State: RuleState>(
        _ card: CommandCard, scan: ScanInput, normalized: NormalizedScan, state: State
    ) throws(State.Failure) -> Decision {
        if let selected = card.selectedDirection {
            guard scan.role == .switchable else {
                return Decision(
                    scan: scan, normalized: normalized, outcome: .command, reason: .modeCardIgnored, command: card)
            }
            return Decision(scan: scan, normalized: normalized, outcome: .command, command: card, modeChange: selected)
        }

        guard let target = try state.newestCountedEvent(device: scan.device),
            scan.time.isWithin(RuleConfiguration.undoWindowNanos, after: target.time)
        else {
            return Decision(
                scan: scan, normalized: normalized, outcome: .command, reason: .nothingToUndo, command: card)
        }
        // Restoring "the state before" is only right while the target is the parcel's newest counted event; if
        // another device counted the parcel since, cancelling the target would rewrite that later history.
        guard try state.newestCountedEvent(code: target.code)?.seq == target.seq else {
            return Decision(
                scan: scan, normalized: normalized, outcome: .command, reason: .undoSuperseded, command: card)
        }
        let undo = UndoAction(
            seq: target.seq, code: target.code, carrier: target.carrier, cancelledOutcome: target.outcome,
            restoredState: target.stateBefore)
        return Decision(scan: scan, normalized: normalized, outcome: .command, command: card, undo: undo)
    }
}
