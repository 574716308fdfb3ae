/// A carrier code, as stored in the journal and used as the key of `by_carrier` in the count files (SPEC §7).
///
/// An open set (a struct, not an enum): carriers are data in ``CarrierTable``, and adding one must not break any
/// `switch` elsewhere.
public struct Carrier: RawRepresentable, Sendable, Hashable, Comparable, CustomStringConvertible {
    /// The stable code, e.g. `SF`.
    public let rawValue: String

    /// Wraps a carrier code.
    public init(rawValue: String) {
        self.rawValue = rawValue
    }

    public var description: String { rawValue }

    /// Alphabetical by code, so `by_carrier` and the CSV rows come out in a stable order.
    public static func < (lhs: Carrier, rhs: Carrier) -> Bool { lhs.rawValue < rhs.rawValue }

    /// 顺丰 SF Express.
    public static let sf = Carrier(rawValue: "SF")
    /// 中通 ZTO Express.
    public static let zto = Carrier(rawValue: "ZTO")
    /// 圆通 YTO Express.
    public static let yto = Carrier(rawValue: "YTO")
    /// 申通 STO Express.
    public static let sto = Carrier(rawValue: "STO")
    /// 韵达 Yunda Express.
    public static let yunda = Carrier(rawValue: "YUNDA")
    /// 极兔 J&T Express.
    public static let jt = Carrier(rawValue: "JT")
    /// 京东 JD Logistics.
    public static let jd = Carrier(rawValue: "JD")
    /// 中国邮政 / EMS: China Post domestic numbers and UPU S10 identifiers.
    public static let ems = Carrier(rawValue: "EMS")
    /// 德邦 Deppon.
    public static let deppon = Carrier(rawValue: "DEPPON")
    /// 菜鸟 Cainiao.
    public static let cainiao = Carrier(rawValue: "CAINIAO")
    /// No pattern matched: the parcel is still accepted and counted, under this code (§5.6).
    public static let unknown = Carrier(rawValue: "UNKNOWN")
}

/// One row of the carrier table: a pattern, an optional check digit, and the carrier it indicates.
public struct CarrierPattern: Sendable, Hashable {
    /// A check the pattern needs beyond its shape.
    public enum Check: Sendable, Hashable {
        /// The UPU S10 check digit (``CheckDigits/isValidS10(_:)``).
        case s10
    }

    /// The carrier a match indicates.
    public let carrier: Carrier
    /// The whole-code pattern.
    public let pattern: CodePattern
    /// A check digit the code must also satisfy, if any.
    public let check: Check?
    /// Where the pattern comes from and how far to trust it, for the next person who edits the table.
    public let note: String

    /// Creates a table row.
    public init(_ carrier: Carrier, _ segments: [CodePattern.Segment], check: Check? = nil, note: String = "") {
        self.carrier = carrier
        self.pattern = CodePattern(segments)
        self.check = check
        self.note = note
    }

    /// Whether `code` matches this row.
    public func matches(_ code: String) -> Bool {
        guard pattern.matches(code) else { return false }
        switch check {
        case nil: return true
        case .s10: return CheckDigits.isValidS10(code)
        }
    }
}

/// The carriers a code matched: every candidate in table order, and the chosen one (the first, or UNKNOWN).
public struct CarrierMatch: Sendable, Hashable {
    /// The carrier the parcel is counted under.
    public let carrier: Carrier
    /// Every carrier whose pattern matched, in table order, without repeats; empty when ``carrier`` is UNKNOWN.
    /// Kept because all-numeric patterns overlap and a supervisor may need to see the alternatives.
    public let candidates: [Carrier]
}

/// The ordered carrier pattern table (SPEC §5.6): the one place to add or fix a carrier.
///
/// Order matters only where patterns overlap (all-numeric codes); the first matching row wins, and every match is
/// kept as a candidate. The standard table follows notes/scanners.md, where the narrower patterns come first:
/// China Post's two-digit prefixes before Yunda's `5…`, STO's `43…` before Yunda's `[34]…`.
public struct CarrierTable: Sendable, Hashable {
    /// The rows, in priority order.
    public let patterns: [CarrierPattern]

    /// Creates a table; the first matching row wins.
    public init(_ patterns: [CarrierPattern]) {
        self.patterns = patterns
    }

    /// Every matching carrier in table order, and the chosen one.
    public func match(_ code: String) -> CarrierMatch {
        var candidates: [Carrier] = []
        for row in patterns where row.matches(code) && !candidates.contains(row.carrier) {
            candidates.append(row.carrier)
        }
        return CarrierMatch(carrier: candidates.first ?? .unknown, candidates: candidates)
    }

    /// The table of notes/scanners.md ("Tracking-number patterns"). Only S10 has a published check digit; the
    /// rest are prefix-and-length patterns gathered from public validators.
    public static let standard = CarrierTable([
        CarrierPattern(.ems, CodePattern.s10.segments, check: .s10, note: "UPU S10, EMS / China Post international"),
        CarrierPattern(
            .ems, [.oneOf(["10", "11", "50", "51", "95", "97"]), .digits(11)], note: "China Post domestic"),
        CarrierPattern(.ems, [.oneOf(["99", "96", "98"]), .digits(11)], note: "China Post / EMS domestic"),
        CarrierPattern(.ems, [.oneCharacter(of: "981"), .digits(12)], note: "China Post / EMS domestic"),
        CarrierPattern(.sf, [.literal("SF"), .lettersOrDigits(1), .digits(12)], note: "SF, 15 characters"),
        CarrierPattern(.sf, [.digits(12)], note: "SF, older 12-digit numbers (no other carrier uses 12 digits)"),
        CarrierPattern(.zto, [.literal("7"), .oneCharacter(of: "34568"), .digits(12)], note: "ZTO, 14 digits"),
        CarrierPattern(.yto, [.literal("YT"), .digits(13)], note: "YTO"),
        CarrierPattern(.sto, [.oneOf(["77", "43"]), .digits(12...15)], note: "STO, 14-17 digits"),
        CarrierPattern(.yunda, [.oneCharacter(of: "34"), .digits(14)], note: "Yunda, 15 digits"),
        CarrierPattern(.yunda, [.literal("5"), .digits(12)], note: "Yunda, 13 digits"),
        CarrierPattern(.jt, [.literal("JT"), .digits(13)], note: "J&T"),
        CarrierPattern(.jd, [.literal("JD"), .lettersOrDigits(2), .digits(11)], note: "JD"),
        CarrierPattern(.deppon, [.literal("DPK"), .digits(12)], note: "Deppon"),
        CarrierPattern(.cainiao, [.literal("621"), .digits(12)], note: "Cainiao (low confidence)"),
    ])
}
