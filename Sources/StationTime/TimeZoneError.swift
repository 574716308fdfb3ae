/// Why a time zone could not be loaded. Each message says what to do, because it ends up in `doctor` output and in
/// the exit-2 message for a bad `timezone` setting (SPEC §3).
public enum TimeZoneError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The name is not a zone in the tz database (or not a safe relative path).
    case unknownZone(name: String, databaseDirectory: String)
    /// There is no tz database on this machine at all.
    case noDatabase(databaseDirectory: String)
    /// The file exists but is not a TZif file this parser understands.
    case invalidFile(path: String, problem: String)
    /// A POSIX TZ rule (a TZif footer or `$TZ`) that cannot be parsed.
    case invalidRule(rule: String, problem: String)
    /// The file could not be read.
    case unreadable(path: String, errno: Int32)
    /// No system zone is configured (`$TZ`, `/etc/localtime` and `/etc/timezone` all absent).
    case noSystemZone

    public var description: String {
        switch self {
        case .unknownZone(let name, let directory):
            return "unknown time zone \"\(name)\": there is no such zone in \(directory); use an IANA name such as "
                + "Asia/Shanghai (list them with `ls \(directory)`)"
        case .noDatabase(let directory):
            return "no time zone database at \(directory): install the tzdata package (apt-get install tzdata), "
                + "or leave `timezone` unset to use UTC"
        case .invalidFile(let path, let problem):
            return "\(path) is not a usable TZif time zone file (\(problem)): reinstall tzdata (apt-get install "
                + "--reinstall tzdata)"
        case .invalidRule(let rule, let problem):
            return "time zone rule \"\(rule)\" cannot be parsed (\(problem)): use an IANA name such as Asia/Shanghai"
        case .unreadable(let path, let code):
            return "cannot read \(path) (errno \(code)): check that it exists and is readable"
        case .noSystemZone:
            return "no system time zone is configured (no $TZ, /etc/localtime or /etc/timezone): set `timezone` in "
                + "the configuration, or run `timedatectl set-timezone Asia/Shanghai`; UTC is used meanwhile"
        }
    }
}
