/// A POSIX TZ rule such as `CET-1CEST,M3.5.0,M10.5.0/3`: the TZif footer that says what happens after the last
/// transition in the file (and what `$TZ` may hold).
///
/// Needed because "slim" TZif files stop listing transitions once a rule settles; without the footer a DST zone
/// would freeze at its last listed offset.
struct PosixTimeZoneRule: Sendable, Hashable {
    var standard: LocalTimeType
    var daylight: DaylightRule?

    struct DaylightRule: Sendable, Hashable {
        var type: LocalTimeType
        var start: DateRule
        /// Seconds after local (standard) midnight of the start day.
        var startTime: Int
        var end: DateRule
        /// Seconds after local (daylight) midnight of the end day.
        var endTime: Int
    }

    enum DateRule: Sendable, Hashable {
        /// `Jn`: 1-365, February 29 never counted.
        case julianNoLeap(Int)
        /// `n`: 0-365, February 29 counted.
        case zeroBased(Int)
        /// `Mm.w.d`: weekday d (0 = Sunday) of week w (5 = last) of month m.
        case monthWeekDay(month: Int, week: Int, weekday: Int)

        func day(in year: Int) -> Int64 {
            let january1 = Civil.days(year: year, month: 1, day: 1)
            switch self {
            case .julianNoLeap(let n):
                return january1 + Int64(n - 1) + (Civil.isLeap(year) && n >= 60 ? 1 : 0)
            case .zeroBased(let n):
                return january1 + Int64(n)
            case .monthWeekDay(let month, let week, let weekday):
                let first = Civil.days(year: year, month: month, day: 1)
                var day = 1 + (weekday - Civil.weekday(days: first) + 7) % 7 + (week - 1) * 7
                while day > Civil.daysInMonth(year: year, month: month) { day -= 7 }
                return first + Int64(day - 1)
            }
        }
    }

    struct ParseError: Error, CustomStringConvertible {
        var description: String
    }

    init(parsing text: String) throws(ParseError) {
        var scanner = RuleScanner(Array(text.utf8))
        let standardName = try scanner.name()
        let standardOffset = try scanner.offset()
        standard = LocalTimeType(utcOffset: -standardOffset, isDST: false, abbreviation: standardName)
        if scanner.atEnd {
            daylight = nil
            return
        }
        let daylightName = try scanner.name()
        var daylightOffset = -(standardOffset - 3600)
        if let next = scanner.peek, next != UInt8(ascii: ",") {
            daylightOffset = -(try scanner.offset())
        }
        let type = LocalTimeType(utcOffset: daylightOffset, isDST: true, abbreviation: daylightName)
        var start = DateRule.monthWeekDay(month: 3, week: 2, weekday: 0)
        var end = DateRule.monthWeekDay(month: 11, week: 1, weekday: 0)
        var startTime = 7200
        var endTime = 7200
        if !scanner.atEnd {
            try scanner.expect(",")
            start = try scanner.dateRule()
            if scanner.peek == UInt8(ascii: "/") {
                scanner.advance()
                startTime = try scanner.time(allowingSign: true, maxHours: 167)
            }
            try scanner.expect(",")
            end = try scanner.dateRule()
            if scanner.peek == UInt8(ascii: "/") {
                scanner.advance()
                endTime = try scanner.time(allowingSign: true, maxHours: 167)
            }
        }
        guard scanner.atEnd else { throw ParseError(description: "unexpected text after the rule") }
        daylight = DaylightRule(type: type, start: start, startTime: startTime, end: end, endTime: endTime)
    }

    /// The period containing `t` (UTC seconds) under this rule.
    func period(containing utcSeconds: Int64) -> ZonePeriod {
        let t = Civil.clampedSeconds(utcSeconds)
        guard let daylight else { return ZonePeriod(type: standard, start: nil, end: nil) }
        let year = LocalDate(daysSinceEpoch: Civil.floorDiv(t + Int64(standard.utcOffset), 86_400)).year
        var changes: [(time: Int64, toDaylight: Bool)] = []
        for y in (year - 1)...(year + 1) {
            let startUTC = daylight.start.day(in: y) * 86_400 + Int64(daylight.startTime) - Int64(standard.utcOffset)
            let endUTC = daylight.end.day(in: y) * 86_400 + Int64(daylight.endTime) - Int64(daylight.type.utcOffset)
            changes.append((startUTC, true))
            changes.append((endUTC, false))
        }
        // At equal times (daylight saving all year) the end sorts first, so daylight time wins.
        changes.sort { $0.time != $1.time ? $0.time < $1.time : (!$0.toDaylight && $1.toDaylight) }
        var current: (time: Int64, toDaylight: Bool)?
        var next: Int64?
        for change in changes {
            if change.time <= t {
                current = change
            } else {
                next = change.time
                break
            }
        }
        let inDaylight = current?.toDaylight ?? false
        return ZonePeriod(type: inDaylight ? daylight.type : standard, start: current?.time, end: next)
    }
}

/// A stretch of time with one local time type: `[start, end)` in UTC seconds, open-ended where nil.
struct ZonePeriod: Sendable, Hashable {
    var type: LocalTimeType
    var start: Int64?
    var end: Int64?
}

/// A cursor over the characters of a POSIX TZ rule.
private struct RuleScanner {
    let text: [UInt8]
    var position = 0

    init(_ text: [UInt8]) { self.text = text }

    var atEnd: Bool { position >= text.count }
    var peek: UInt8? { atEnd ? nil : text[position] }
    mutating func advance() { position += 1 }

    mutating func expect(_ character: Character) throws(PosixTimeZoneRule.ParseError) {
        guard let ascii = character.asciiValue, peek == ascii else {
            throw .init(description: "expected \"\(character)\" at position \(position)")
        }
        advance()
    }

    mutating func name() throws(PosixTimeZoneRule.ParseError) -> String {
        var name: [UInt8] = []
        if peek == UInt8(ascii: "<") {
            advance()
            while let c = peek, c != UInt8(ascii: ">") {
                name.append(c)
                advance()
            }
            try expect(">")
        } else {
            while let c = peek, (c >= 0x41 && c <= 0x5A) || (c >= 0x61 && c <= 0x7A) {
                name.append(c)
                advance()
            }
        }
        guard name.count >= 3 else { throw .init(description: "a zone abbreviation needs at least 3 characters") }
        return String(decoding: name, as: UTF8.self)
    }

    /// A POSIX offset: positive west of Greenwich, as written.
    mutating func offset() throws(PosixTimeZoneRule.ParseError) -> Int {
        try time(allowingSign: true, maxHours: 24)
    }

    mutating func time(allowingSign: Bool, maxHours: Int) throws(PosixTimeZoneRule.ParseError) -> Int {
        var sign = 1
        if allowingSign, let c = peek, c == UInt8(ascii: "+") || c == UInt8(ascii: "-") {
            sign = c == UInt8(ascii: "-") ? -1 : 1
            advance()
        }
        let hours = try number(maxDigits: 3)
        guard hours <= maxHours else { throw .init(description: "hour \(hours) out of range") }
        var seconds = hours * 3600
        if peek == UInt8(ascii: ":") {
            advance()
            let minutes = try number(maxDigits: 2)
            guard minutes < 60 else { throw .init(description: "minute \(minutes) out of range") }
            seconds += minutes * 60
            if peek == UInt8(ascii: ":") {
                advance()
                let secs = try number(maxDigits: 2)
                guard secs < 60 else { throw .init(description: "second \(secs) out of range") }
                seconds += secs
            }
        }
        return sign * seconds
    }

    mutating func number(maxDigits: Int) throws(PosixTimeZoneRule.ParseError) -> Int {
        var value = 0
        var digits = 0
        while let c = peek, c >= 0x30, c <= 0x39, digits < maxDigits {
            value = value * 10 + Int(c - 0x30)
            digits += 1
            advance()
        }
        guard digits > 0 else { throw .init(description: "expected a number at position \(position)") }
        return value
    }

    mutating func dateRule() throws(PosixTimeZoneRule.ParseError) -> PosixTimeZoneRule.DateRule {
        if peek == UInt8(ascii: "J") {
            advance()
            let n = try number(maxDigits: 3)
            guard (1...365).contains(n) else { throw .init(description: "J\(n) out of range") }
            return .julianNoLeap(n)
        }
        if peek == UInt8(ascii: "M") {
            advance()
            let month = try number(maxDigits: 2)
            try expect(".")
            let week = try number(maxDigits: 1)
            try expect(".")
            let weekday = try number(maxDigits: 1)
            guard (1...12).contains(month), (1...5).contains(week), (0...6).contains(weekday) else {
                throw .init(description: "M\(month).\(week).\(weekday) out of range")
            }
            return .monthWeekDay(month: month, week: week, weekday: weekday)
        }
        let n = try number(maxDigits: 3)
        guard (0...365).contains(n) else { throw .init(description: "day \(n) out of range") }
        return .zeroBased(n)
    }
}
