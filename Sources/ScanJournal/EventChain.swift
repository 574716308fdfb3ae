import CSQLite
import Hashing

/// The journal's hash chain (SPEC §7 tamper evidence): every event stores
/// `hash = SHA-256(previous event's hash ‖ canonical bytes of the event)`, the first event chaining from
/// ``genesis`` (32 zero bytes). Change, delete, insert or reorder an event and the chain breaks there; cut the tail
/// and the last count file's `journal.last_hash` no longer matches.
///
/// **Canonical bytes**, the one definition (README "The hash chain" repeats it for anyone recomputing the chain
/// with `sqlite3` and a few lines of Python): the ``columns`` below, in that order, each as
/// - NULL: the byte `0x00`;
/// - INTEGER: `0x01`, then the value as 8 bytes, big-endian two's complement;
/// - TEXT: `0x02`, then its UTF-8 byte count as 4 bytes big-endian, then the bytes;
/// - BLOB: `0x03`, then its byte count as 4 bytes big-endian, then the bytes;
/// - REAL (never written by station-agent; only a changed row holds one): `0x04`, then the IEEE 754 double's 8 bytes,
///   big-endian.
///
/// Each value is hashed as SQLite stores it, so the chain covers the storage class too. The columns that later
/// events legitimately change (`corrected_ns`/`effective_ns` by a clock correction; `counted`, `undone`,
/// `undone_by` by an undo) are not in the chain: they are derived from chained facts (the undo event's `undo_of`,
/// the boot's clock), and `verify` checks them against those.
public enum EventChain {
    /// The hash the first event chains from.
    public static let genesis = [UInt8](repeating: 0, count: 32)

    /// The chained columns, in canonical order.
    public static let columns = [
        "seq", "code", "raw", "symbology", "direction", "outcome", "reason", "command", "carrier", "carrier_candidates",
        "device", "role", "usb_vendor_id", "usb_product_id", "usb_serial", "usb_port", "source", "wall_ns", "boot_id",
        "monotonic_ns", "clock_synced", "state_before", "state_after", "duplicate_of", "mode_change", "undo_of",
        "verdict", "photo_path", "photo_sha256",
    ]

    /// `columns` as a SELECT list.
    static let selectList = columns.joined(separator: ", ")

    /// The next link: SHA-256 of `previous` followed by `canonical`.
    public static func link(_ previous: [UInt8], _ canonical: [UInt8]) -> [UInt8] {
        var hasher = SHA256()
        hasher.update(previous)
        hasher.update(canonical)
        return hasher.finalize()
    }

    /// The canonical bytes of values about to be inserted (in ``columns`` order).
    static func canonicalBytes(_ values: [SQLValue]) -> [UInt8] {
        var encoder = CanonicalEncoder()
        for value in values {
            switch value {
            case .null: encoder.appendNull()
            case .integer(let integer): encoder.append(integer)
            case .text(let text): encoder.append(tag: 0x02, Array(text.utf8))
            case .blob(let bytes): encoder.append(tag: 0x03, bytes)
            }
        }
        return encoder.bytes
    }

    /// The canonical bytes of the row's first `columns.count` columns, as stored.
    static func canonicalBytes(_ row: Row) -> [UInt8] {
        var encoder = CanonicalEncoder()
        for column in 0..<Int32(columns.count) {
            switch row.type(column) {
            case SQLITE_NULL: encoder.appendNull()
            case SQLITE_INTEGER: encoder.append(row.int(column))
            case SQLITE_TEXT: encoder.append(tag: 0x02, row.textBytes(column))
            case SQLITE_FLOAT: encoder.appendReal(row.double(column))
            default: encoder.append(tag: 0x03, row.blob(column))
            }
        }
        return encoder.bytes
    }
}

/// Appends canonical field encodings (see ``EventChain``).
struct CanonicalEncoder {
    var bytes: [UInt8] = []

    init() { bytes.reserveCapacity(256) }

    mutating func appendNull() { bytes.append(0x00) }

    mutating func append(_ integer: Int64) {
        bytes.append(0x01)
        appendBigEndian(UInt64(bitPattern: integer), count: 8)
    }

    mutating func appendReal(_ value: Double) {
        bytes.append(0x04)
        appendBigEndian(value.bitPattern, count: 8)
    }

    mutating func append(tag: UInt8, _ payload: [UInt8]) {
        bytes.append(tag)
        appendBigEndian(UInt64(UInt32(truncatingIfNeeded: payload.count)), count: 4)
        bytes.append(contentsOf: payload)
    }

    private mutating func appendBigEndian(_ value: UInt64, count: Int) {
        for shift in stride(from: (count - 1) * 8, through: 0, by: -8) {
            bytes.append(UInt8(truncatingIfNeeded: value >> UInt64(shift)))
        }
    }
}

/// Where the chain stands: the newest event's sequence number and hash (0 and ``EventChain/genesis`` when empty).
struct ChainHead {
    var seq: Int64
    var hash: [UInt8]

    static let empty = ChainHead(seq: 0, hash: EventChain.genesis)

    /// The newest event's, read inside the writer's transaction (another process may have written since).
    static func read(_ connection: Connection) throws(SQLiteFailure) -> ChainHead {
        var head = ChainHead.empty
        try connection.query("SELECT seq, hash FROM events ORDER BY seq DESC LIMIT 1") { (row: Row) throws(SQLiteFailure) in
            let hash = row.blob(1)
            head = ChainHead(seq: row.int(0), hash: hash.count == 32 ? hash : EventChain.genesis)
        }
        return head
    }
}
