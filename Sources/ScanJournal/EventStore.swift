import ParcelRules

/// The journal's queries over one connection: the four lookups of ``RuleState`` (each one indexed query), the
/// inserts of one accepted scan with its side effects, the time correction and the readers' selections.
struct EventStore: RuleState {
    typealias Failure = SQLiteFailure
    let connection: Connection

    // MARK: RuleState

    static let countedColumns = "seq, code, outcome, carrier, state_before, effective_ns, boot_id, monotonic_ns"

    func newestCountedEvent(code: String) throws(SQLiteFailure) -> CountedEvent? {
        try countedEvent(
            "SELECT \(Self.countedColumns) FROM events INDEXED BY events_code WHERE code = ? AND counted = 1 "
                + "ORDER BY seq DESC LIMIT 1",
            [.text(code)])
    }

    func newestCountedEvent(code: String, device: String, direction: Direction) throws(SQLiteFailure) -> CountedEvent? {
        try countedEvent(
            "SELECT \(Self.countedColumns) FROM events INDEXED BY events_code "
                + "WHERE code = ? AND device = ? AND direction = ? AND counted = 1 "
                + "ORDER BY seq DESC LIMIT 1",
            [.text(code), .text(device), .text(direction.rawValue)])
    }

    func newestCountedEvent(device: String) throws(SQLiteFailure) -> CountedEvent? {
        try countedEvent(
            "SELECT \(Self.countedColumns) FROM events INDEXED BY events_device_counted WHERE device = ? AND counted = 1 "
                + "ORDER BY seq DESC LIMIT 1",
            [.text(device)])
    }

    func switchableMode(device: String) throws(SQLiteFailure) -> Direction? {
        var mode: Direction?
        try connection.query("SELECT direction FROM device_modes WHERE device = ?", [.text(device)]) {
            (row: Row) throws(SQLiteFailure) in
            mode = row.text(0).flatMap(Direction.init(rawValue:))
        }
        return mode
    }

    /// A counted event as the rules see it. Its wall time is the *effective* time (corrected where the clock was
    /// fixed later), so comparisons across boots use the best time known.
    private func countedEvent(_ sql: String, _ values: [SQLValue]) throws(SQLiteFailure) -> CountedEvent? {
        var event: CountedEvent?
        try connection.query(sql, values) { (row: Row) throws(SQLiteFailure) in
            event = CountedEvent(
                seq: row.int(0), code: row.text(1) ?? "", outcome: Outcome(rawValue: row.text(2) ?? "") ?? .received,
                carrier: Carrier(rawValue: row.text(3) ?? Carrier.unknown.rawValue),
                stateBefore: row.text(4).flatMap(ParcelState.init(rawValue:)) ?? .absent,
                time: EventTime(
                    wallNanos: row.int(5), bootID: row.text(6) ?? "", monotonicNanos: UInt64(bitPattern: row.int(7))))
        }
        return event
    }

    // MARK: Recording

    /// Inserts one decided scan as the event after `chain` and applies its side effects (mode, undo), inside the
    /// caller's transaction. The event gets the next sequence number and its link of the hash chain; `chain` moves
    /// on to it. Returns the event's sequence number.
    func record(_ decision: Decision, scan: JournalScan, chain: inout ChainHead) throws(SQLiteFailure) -> Int64 {
        let input = scan.input
        let time = input.time
        let seq = chain.seq + 1
        // In EventChain.columns order: these values are both inserted and hashed, so the two cannot disagree.
        let chained: [SQLValue] = [
            .integer(seq), .text(decision.code), .blob(input.raw), SQLValue(decision.symbology),
            SQLValue(decision.direction?.rawValue), .text(decision.outcome.rawValue),
            SQLValue(decision.reason?.rawValue), SQLValue(decision.command?.rawValue),
            SQLValue(decision.carrier?.rawValue),
            .text(decision.carrierCandidates.map(\.rawValue).joined(separator: ",")),
            .text(input.device), .text(input.role.rawValue),
            SQLValue(scan.usb.map { Int64($0.vendorID) }), SQLValue(scan.usb.map { Int64($0.productID) }),
            SQLValue(scan.usb?.serial), SQLValue(scan.usb?.port), .text(input.source.rawValue),
            .integer(time.wallNanos), .text(time.bootID), .integer(Int64(bitPattern: time.monotonicNanos)),
            .integer(scan.clockSynchronized ? 1 : 0), SQLValue(decision.parcel?.before.rawValue),
            SQLValue(decision.parcel?.after.rawValue), SQLValue(decision.duplicateOf),
            SQLValue(decision.modeChange?.rawValue), SQLValue(decision.undo?.seq),
            SQLValue(decision.verdict?.rawValue), SQLValue(scan.photo?.path), scan.photo.map { .blob($0.sha256) } ?? .null,
        ]
        let hash = EventChain.link(chain.hash, EventChain.canonicalBytes(chained))
        try connection.query(
            Self.insert,
            chained + [.integer(time.wallNanos), .integer(decision.outcome.isCounted ? 1 : 0), .blob(hash)])
        chain = ChainHead(seq: seq, hash: hash)
        if let mode = decision.modeChange {
            try connection.query(
                "INSERT OR REPLACE INTO device_modes (device, direction, set_by) VALUES (?, ?, ?)",
                [.text(input.device), .text(mode.rawValue), .integer(seq)])
        }
        if let undo = decision.undo {
            try connection.query(
                "UPDATE events SET undone = 1, undone_by = ?, counted = 0 WHERE seq = ?", [.integer(seq), .integer(undo.seq)])
        }
        return seq
    }

    /// The chained columns, then the derived ones a new event starts with.
    static let insert =
        "INSERT INTO events (\(EventChain.selectList), effective_ns, counted, hash) VALUES ("
        + Array(repeating: "?", count: EventChain.columns.count + 3).joined(separator: ", ") + ")"

    /// SPEC §7 time correction: once the clock is synchronised, earlier unsynchronised events of the same boot get
    /// `corrected = monotonic + (wall - monotonic)` as observed now. Returns how many events were corrected.
    func correct(bootID: String, wallNanos: Int64, monotonicNanos: UInt64) throws(SQLiteFailure) -> Int {
        guard !bootID.isEmpty else { return 0 }
        let (offset, overflow) = wallNanos.subtractingReportingOverflow(Int64(bitPattern: monotonicNanos))
        guard !overflow else { return 0 }
        try connection.query(
            """
            UPDATE events SET corrected_ns = monotonic_ns + ?1, effective_ns = monotonic_ns + ?1
            WHERE boot_id = ?2 AND clock_synced = 0 AND corrected_ns IS NULL
            """,
            [.integer(offset), .text(bootID)])
        return connection.changes
    }

    // MARK: Reading

    static let eventColumns = """
        seq, code, raw, symbology, direction, outcome, reason, command, carrier, carrier_candidates, device, role,
        usb_vendor_id, usb_product_id, usb_serial, usb_port, source, wall_ns, boot_id, monotonic_ns, clock_synced,
        corrected_ns, undone, undone_by, state_before, state_after, duplicate_of, mode_change, undo_of, verdict,
        photo_path, photo_sha256, hash
        """

    /// Events selected by `whereClause` (which may use the bound `values`), oldest first, through `index` if
    /// given: pinned, because with ORDER BY seq the planner may otherwise prefer walking the whole table in order.
    func events(where whereClause: String, _ values: [SQLValue], index: String? = nil, limit: Int? = nil)
        throws(SQLiteFailure) -> [JournalEvent]
    {
        var events: [JournalEvent] = []
        let limitClause = limit.map { " LIMIT \($0)" } ?? ""
        let indexClause = index.map { " INDEXED BY \($0)" } ?? ""
        try connection.query(
            "SELECT \(Self.eventColumns) FROM events\(indexClause) WHERE \(whereClause) ORDER BY seq\(limitClause)", values
        ) { (row: Row) throws(SQLiteFailure) in
            events.append(Self.event(row))
        }
        return events
    }

    static func event(_ row: Row) -> JournalEvent {
        let candidates = (row.text(9) ?? "").split(separator: ",").map { Carrier(rawValue: String($0)) }
        let usb: USBIdentity? =
            row.isNull(12) || row.isNull(13)
            ? nil
            : USBIdentity(
                vendorID: UInt16(truncatingIfNeeded: row.int(12)), productID: UInt16(truncatingIfNeeded: row.int(13)),
                serial: row.text(14), port: row.text(15))
        return JournalEvent(
            seq: row.int(0), code: row.text(1) ?? "", raw: row.blob(2), symbology: row.text(3),
            direction: row.text(4).flatMap(Direction.init(rawValue:)),
            outcome: Outcome(rawValue: row.text(5) ?? "") ?? .rejected, reason: row.text(6).flatMap(Reason.init(rawValue:)),
            command: row.text(7).flatMap(CommandCard.init(rawValue:)), carrier: row.text(8).map(Carrier.init(rawValue:)),
            carrierCandidates: candidates, device: row.text(10) ?? "",
            role: DeviceRole(rawValue: row.text(11) ?? "") ?? .switchable, usb: usb,
            source: ScanSource(rawValue: row.text(16) ?? "") ?? .usb, wallNanos: row.int(17), bootID: row.text(18) ?? "",
            monotonicNanos: UInt64(bitPattern: row.int(19)), clockSynchronized: row.int(20) != 0,
            correctedNanos: row.optionalInt(21), undone: row.int(22) != 0, undoneBy: row.optionalInt(23),
            stateBefore: row.text(24).flatMap(ParcelState.init(rawValue:)),
            stateAfter: row.text(25).flatMap(ParcelState.init(rawValue:)), duplicateOf: row.optionalInt(26),
            modeChange: row.text(27).flatMap(Direction.init(rawValue:)), undoOf: row.optionalInt(28),
            verdict: row.text(29).flatMap(Verdict.init(rawValue:)),
            photo: row.text(30).map { PhotoReference(path: $0, sha256: row.blob(31)) }, hash: row.blob(32))
    }
}
