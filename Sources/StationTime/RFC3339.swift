/// RFC 3339 timestamps with the station's offset (`2026-11-30T13:05:00+08:00`), as SPEC §2 and §7 print them.
///
/// The offset is the zone's, not `Z`, so a supervisor reading a dispute sees the time on the station's wall clock
/// and the offset together, without converting.
public enum RFC3339 {
    /// Formats a local date-time. RFC 3339 offsets have no seconds, so a historical offset with seconds (local mean
    /// time) is shown truncated to the minute; use ``format(utcNanos:in:fractionalDigits:)`` to keep the pair
    /// consistent.
    public static func format(_ local: LocalDateTime, fractionalDigits: Int = 0) -> String {
        var text = local.date.description + "T" + Civil.pad(local.hour, 2) + ":" + Civil.pad(local.minute, 2) + ":"
            + Civil.pad(local.second, 2)
        if fractionalDigits > 0 {
            let digits = min(fractionalDigits, 9)
            var fraction = local.nanosecond
            for _ in digits..<9 { fraction /= 10 }
            text += "." + Civil.pad(fraction, digits)
        }
        return text + offsetText(local.utcOffsetSeconds)
    }

    /// Formats a UTC instant in `zone`: the local time and its offset, both at whole minutes of offset.
    public static func format(utcNanos: Int64, in zone: StationTimeZone, fractionalDigits: Int = 0) -> String {
        let seconds = Civil.floorDiv(utcNanos, 1_000_000_000)
        // Truncate the offset to whole minutes and compute the local time from it, so text and offset agree.
        let offset = zone.offsetSeconds(atUTCSeconds: seconds)
        let minuteOffset = offset / 60 * 60
        let local = StationTimeZone.local(utcNanos: utcNanos, offset: minuteOffset, abbreviation: "")
        return format(local, fractionalDigits: fractionalDigits)
    }

    static func offsetText(_ seconds: Int) -> String {
        let sign = seconds < 0 ? "-" : "+"
        // magnitude, not abs: a hand-made LocalDateTime may carry any offset, and abs(Int.min) would trap.
        let minutes = seconds.magnitude / 60
        return sign + Civil.pad(Int(minutes / 60), 2) + ":" + Civil.pad(Int(minutes % 60), 2)
    }
}
