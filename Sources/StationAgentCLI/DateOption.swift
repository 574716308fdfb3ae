import HumanWords
import ArgumentParser
import StationTime

/// The business days a user may name with `--date`/`--since` (README, "Decisions where SPEC is silent").
///
/// Every date that can be typed is answered or refused in words, never a crash: text that is not
/// `YYYY-MM-DD` or a date that does not exist, and a date before 2000 (no station existed then; it is
/// a typo like `0202-12-03`), are refused (exit 2). For `counts` and `export` a day that has not
/// begun in the station's time zone is refused too (SPEC §7: it gets no count file).
enum DateOption {
    /// The earliest business day accepted.
    static let earliest = LocalDate(year: 2000, month: 1, day: 1)!

    /// Parses the text of `option`, refusing what no station can have had.
    static func parse(_ text: String, option: String) throws -> LocalDate {
        guard let date = LocalDate(text) else {
            throw ValidationError("\(option) \(text): not a date of the form YYYY-MM-DD (for example 2026-12-03)")
        }
        guard date >= earliest else {
            throw ValidationError("\(option) \(text): a date before \(earliest) cannot be a business day of this station (a typo in the year?)")
        }
        return date
    }

    /// Refuses a day after `today`: it has not begun, so it has no counts and gets no count file.
    static func requireBegun(_ date: LocalDate, option: String, today: LocalDate, zone: StationTimeZone) throws {
        guard date <= today else {
            throw CLIError.usage(
                Words("\(option) \(date): that day has not begun (today is \(today) in \(zone.identifier)): it has no counts and gets no count file yet"))
        }
    }
}
