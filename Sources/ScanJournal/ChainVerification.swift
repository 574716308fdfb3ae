public import HumanWords
import CSQLite
import Hashing

/// What is wrong with the hash chain at one event (SPEC §7), as `verify` names it.
public struct ChainFinding: Sendable, Hashable, CustomStringConvertible {
    /// The kinds of break, in the words of SPEC §7.
    public enum Kind: String, Sendable, Hashable, CaseIterable {
        /// Sequence numbers jump: events were deleted.
        case missing
        /// An event's stored bytes no longer hash to its link, while the chain goes on through its hash.
        case changed
        /// An event that does not belong to the chain (added by hand; later events renumbered around it, or none).
        case inserted
        /// Two events are out of order (their sequence numbers were swapped).
        case reordered
        /// The journal ends before the chain position a count file recorded: its tail was cut off.
        case tailCut = "tail_cut"
        /// A count file recorded a different hash at that event than the journal has now.
        case anchorMismatch = "anchor_mismatch"
    }

    public var kind: Kind
    /// The first sequence number concerned.
    public var seq: Int64
    /// In words, for `verify`'s output.
    public var detail: Words

    public var description: String { "\(kind.rawValue) at seq \(seq): \(detail)" }
}

/// A position of the chain recorded outside the journal: a count file's `journal.last_seq` and `last_hash`.
public struct ChainAnchor: Sendable, Hashable {
    /// Where the anchor was read (a count file's name).
    public var source: String
    public var seq: Int64
    public var hash: [UInt8]

    public init(source: String, seq: Int64, hash: [UInt8]) {
        self.source = source
        self.seq = seq
        self.hash = hash
    }
}

/// The outcome of recomputing the chain.
public struct ChainReport: Sendable, Hashable {
    /// Events walked.
    public var eventCount: Int64 = 0
    /// The newest event's sequence number and hash.
    public var lastSeq: Int64?
    public var lastHash: [UInt8]?
    /// Events up to this seq were chained when a journal of schema version 2 was migrated (nil: none were): their
    /// tamper evidence starts at the migration, not when they were scanned.
    public var migratedThrough: Int64?
    public var migratedAtNanos: Int64?
    /// The first break of the chain (the walk stops there: everything after it chains from a broken link), and any
    /// anchor the journal does not match.
    public var findings: [ChainFinding] = []

    public var isIntact: Bool { findings.isEmpty }
}

extension JournalReader {
    /// Recomputes the whole hash chain from the genesis (SPEC §7), and compares it with `anchors`.
    ///
    /// Walks the events in seq order, a page at a time (a year of a depot's events does not fit in memory on a
    /// small box). At the first event whose stored hash is not the link of its predecessor, it works out which
    /// break explains what it sees, looking one event ahead: a gap in seq is **missing**; two neighbours that
    /// chain when swapped are **reordered**; an event whose successor chains from its predecessor (with the
    /// successor's seq one lower: the rows after it were renumbered) is **inserted**, as is a last event with no valid
    /// hash; otherwise the event was **changed** (its successor still chains from the hash it kept).
    public func verifyChain(anchors: [ChainAnchor] = []) throws(JournalError) -> ChainReport {
        try run { () throws(SQLiteFailure) in
            var report = ChainReport()
            try connection.query("SELECT migrated_through, migrated_at_ns FROM chain_origin WHERE id = 1") {
                (row: Row) throws(SQLiteFailure) in
                report.migratedThrough = row.optionalInt(0)
                report.migratedAtNanos = row.optionalInt(1)
            }
            var previous = ChainHead.empty
            var hashes: [Int64: [UInt8]] = [:]
            let wanted = Set(anchors.map(\.seq))
            walk: while true {
                var page: [ChainRow] = []
                try connection.query(
                    "SELECT \(EventChain.selectList), hash FROM events WHERE seq > ? ORDER BY seq LIMIT 4096",
                    [.integer(previous.seq)]
                ) { (row: Row) throws(SQLiteFailure) in
                    page.append(ChainRow(row))
                }
                if page.isEmpty { break }
                for (index, row) in page.enumerated() {
                    report.eventCount += 1
                    if let finding = try check(
                        row, after: previous, next: index + 1 < page.count ? page[index + 1] : try chainRow(after: row.seq))
                    {
                        report.findings.append(finding)
                        break walk
                    }
                    previous = ChainHead(seq: row.seq, hash: row.stored)
                    if wanted.contains(row.seq) { hashes[row.seq] = row.stored }
                }
            }
            report.lastSeq = try connection.scalar("SELECT MAX(seq) FROM events")
            if let last = report.lastSeq {
                try connection.query("SELECT hash FROM events WHERE seq = ?", [.integer(last)]) {
                    (row: Row) throws(SQLiteFailure) in report.lastHash = row.blob(0)
                }
            }
            // Anchors beyond the end of the journal: its tail was cut; anchors inside it must match the chain.
            for anchor in anchors.sorted(by: { $0.seq < $1.seq }) {
                if anchor.seq > (report.lastSeq ?? 0) {
                    report.findings.append(
                        ChainFinding(
                            kind: .tailCut, seq: (report.lastSeq ?? 0) + 1,
                            detail: Words("the journal ends at seq \(report.lastSeq ?? 0), but \(anchor.source) records the chain at seq \(anchor.seq): events \((report.lastSeq ?? 0) + 1)…\(anchor.seq) were cut off")))
                    break
                }
                if let hash = hashes[anchor.seq], hash != anchor.hash {
                    report.findings.append(
                        ChainFinding(
                            kind: .anchorMismatch, seq: anchor.seq,
                            detail: Words("\(anchor.source) records the chain at seq \(anchor.seq) as \(Hex.encode(anchor.hash)), the journal has \(Hex.encode(hash)): the journal was rewritten after that file")))
                }
            }
            return report
        }
    }

    /// One row as the chain sees it.
    struct ChainRow {
        var seq: Int64
        /// Canonical bytes with the row's own seq.
        var canonical: [UInt8]
        /// The hash stored with the row.
        var stored: [UInt8]

        init(_ row: Row) {
            seq = row.int(0)
            canonical = EventChain.canonicalBytes(row)
            stored = row.blob(Int32(EventChain.columns.count))
        }

        /// Canonical bytes with the seq replaced by `seq`: the canonical encoding starts with the seq's 9 bytes.
        func canonical(asSeq other: Int64) -> [UInt8] {
            var encoder = CanonicalEncoder()
            encoder.append(other)
            return encoder.bytes + canonical.dropFirst(9)
        }
    }

    private func chainRow(after seq: Int64) throws(SQLiteFailure) -> ChainRow? {
        var next: ChainRow?
        try connection.query(
            "SELECT \(EventChain.selectList), hash FROM events WHERE seq > ? ORDER BY seq LIMIT 1", [.integer(seq)]
        ) { (row: Row) throws(SQLiteFailure) in
            next = ChainRow(row)
        }
        return next
    }

    /// The break at `row`, if its stored hash is not the link after `previous`.
    private func check(_ row: ChainRow, after previous: ChainHead, next: ChainRow?) throws(SQLiteFailure)
        -> ChainFinding?
    {
        if row.seq != previous.seq + 1 {
            let first = previous.seq + 1
            return ChainFinding(
                kind: .missing, seq: first,
                detail: row.seq - 1 == first
                    ? Words("event \(first) is missing: deleted from the journal (seq jumps from \(previous.seq) to \(row.seq))")
                    : Words("events \(first)…\(row.seq - 1) are missing: deleted from the journal (seq jumps from \(previous.seq) to \(row.seq))"))
        }
        if EventChain.link(previous.hash, row.canonical) == row.stored { return nil }
        if let next {
            // Swapped: `next` belongs here and `row` after it.
            if EventChain.link(previous.hash, next.canonical(asSeq: row.seq)) == next.stored,
                EventChain.link(next.stored, row.canonical(asSeq: next.seq)) == row.stored
            {
                return ChainFinding(
                    kind: .reordered, seq: row.seq,
                    detail: Words("events \(row.seq) and \(next.seq) are out of order (their sequence numbers were swapped)"))
            }
            // `row` does not belong: `next` chains from `previous` (the rows after `row` were renumbered around it).
            if EventChain.link(previous.hash, next.canonical(asSeq: row.seq)) == next.stored {
                return ChainFinding(
                    kind: .inserted, seq: row.seq,
                    detail: Words("event \(row.seq) was inserted: it is not part of the chain, which goes on without it"))
            }
            if EventChain.link(row.stored, next.canonical) == next.stored {
                return ChainFinding(
                    kind: .changed, seq: row.seq,
                    detail: Words("event \(row.seq) was changed after it was recorded: its fields no longer match its hash"))
            }
        } else if row.stored.count != SHA256.byteCount {
            return ChainFinding(
                kind: .inserted, seq: row.seq,
                detail: Words("event \(row.seq) was inserted: it has no hash of the chain of its own"))
        } else if try isDuplicateHash(row) {
            return ChainFinding(
                kind: .inserted, seq: row.seq,
                detail: Words("event \(row.seq) was inserted: it has no hash of the chain of its own"))
        }
        return ChainFinding(
            kind: .changed, seq: row.seq,
            detail: Words("event \(row.seq) was changed after it was recorded: its fields no longer match its hash"))
    }

    /// Whether another event holds the same hash (a row copied to make an insertion look chained).
    private func isDuplicateHash(_ row: ChainRow) throws(SQLiteFailure) -> Bool {
        (try connection.scalar("SELECT COUNT(*) FROM events WHERE hash = ? AND seq <> ?", [.blob(row.stored), .integer(row.seq)])
            ?? 0) > 0
    }
}
