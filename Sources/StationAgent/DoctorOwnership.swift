import HumanWords
import StationConfig
#if canImport(Glibc)
import Glibc
#endif

/// Issue 16.5: owner and mode of everything the service writes or trusts, judged for the user the service runs as
/// (not for whoever runs `doctor`: root passes every `access()` check). A journal that root's `scan` created
/// root-owned 0644 leaves the service retrying "readonly database"; a world-writable data directory lets anyone
/// replace the journal; a configuration another user can write lets that user redirect the agent.
///
/// FAIL where the service could not do its work (write the data directory, outbox and journal files, read the
/// configuration); WARN where the mode is too open. Each line gives the exact `chown`/`chmod` to run.
extension Doctor {
    /// The user the service runs as: `$STATION_AGENT_SERVICE_USER`, else `User=` of the installed unit
    /// (`/etc/systemd/system` first, then `/lib` and `/usr/lib`), else `station-agent`.
    public static func defaultServiceUser(
        unitPaths: [String] = [
            "/etc/systemd/system/station-agent.service", "/lib/systemd/system/station-agent.service",
            "/usr/lib/systemd/system/station-agent.service",
        ]
    ) -> String {
        if let value = getenv("STATION_AGENT_SERVICE_USER").map({ String(cString: $0) }), !value.isEmpty { return value }
        for path in unitPaths {
            guard let text = readSmallFile(path) else { continue }
            for line in text.split(separator: "\n") {
                let trimmed = line.trimmingPrefix { $0 == " " || $0 == "\t" }
                if trimmed.hasPrefix("User=") {
                    let user = trimmed.dropFirst(5).trimmingPrefix { $0 == " " }
                    if !user.isEmpty { return String(user) }
                }
            }
        }
        return "station-agent"
    }

    /// The service's identity, or nil when there is no such user (the `service user` check says so).
    struct ServiceIdentity {
        let name: String
        let uid: uid_t
        let gid: gid_t
        /// Every group the user is in (primary and supplementary).
        let groups: Set<gid_t>
        let groupName: String

        init?(user: String) {
            guard let entry = getpwnam(user) else { return nil }
            name = user
            uid = entry.pointee.pw_uid
            gid = entry.pointee.pw_gid
            var count: Int32 = 64
            var list = [gid_t](repeating: 0, count: 64)
            if getgrouplist(user, gid, &list, &count) >= 0 {
                groups = Set(list.prefix(Int(count)))
            } else {
                groups = [gid]
            }
            groupName = getgrgid(gid).map { String(cString: $0.pointee.gr_name) } ?? String(gid)
        }

        /// Whether this user may read (0o4), write (0o2) or search (0o1) a file of this owner and mode.
        func may(_ bits: mode_t, _ info: stat) -> Bool {
            if uid == 0 { return true }
            if info.st_uid == uid { return info.st_mode & (bits << 6) == bits << 6 }
            if groups.contains(info.st_gid) { return info.st_mode & (bits << 3) == bits << 3 }
            return info.st_mode & bits == bits
        }
    }

    static func ownership(_ configuration: StationConfiguration, serviceUser: String) -> [DoctorCheck] {
        let service = ServiceIdentity(user: serviceUser)
        let owner = service.map { "\($0.name):\($0.groupName)" } ?? "\(serviceUser):\(serviceUser)"
        var checks: [DoctorCheck] = []
        var directories: [(Words, String)] = [(Words("data directory"), configuration.dataDirectory)]
        if configuration.outboxDirectory != configuration.dataDirectory {
            directories.append((Words("outbox directory"), configuration.outboxDirectory))
        }
        for (name, path) in directories {
            if let check = directoryOwnership(name, path, service: service, owner: owner) { checks.append(check) }
        }
        for suffix in ["", "-wal", "-shm"] {
            let path = configuration.journalPath + suffix
            if let check = journalFileOwnership(path, service: service, owner: owner) { checks.append(check) }
        }
        if let path = configuration.source, let check = configurationOwnership(path, service: service, serviceUser: serviceUser) {
            checks.append(check)
        }
        if checks.isEmpty {
            let whom = service == nil ? Words("any user (there is no '\(serviceUser)' user to check for)") : Words("the service user '\(serviceUser)'")
            checks.append(DoctorCheck("ownership", .pass, "owners and modes of the data directory, journal, outbox and configuration fit \(whom)"))
        }
        return checks
    }

    static func directoryOwnership(_ name: Words, _ path: String, service: ServiceIdentity?, owner: String) -> DoctorCheck? {
        var info = stat()
        guard lstat(path, &info) == 0 else { return nil }  // missing: the `directory` check says whether it can be made
        let check = Words("ownership \(name)")
        if info.st_mode & S_IFMT == S_IFLNK {
            return DoctorCheck(check, .warn, "\(path) is a symbolic link: whoever can change the link decides where the journal goes",
                fix: "set the real directory in the configuration (data_dir / outbox_dir) instead of the link")
        }
        guard info.st_mode & S_IFMT == S_IFDIR else { return nil }
        let mode = info.st_mode & 0o7777
        if let service, !(service.may(0o3, info)) {
            return DoctorCheck(check, .fail,
                "\(path) is owned by \(describeOwner(info)), mode \(octal(mode)): the service user '\(service.name)' cannot write it, so no scan can be accepted",
                fix: .command("chown \(owner) \(path) && chmod 0750 \(path)"))
        }
        if mode & 0o002 != 0 {
            return DoctorCheck(check, .warn,
                "\(path) is writable by every user (mode \(octal(mode))): anyone on the box can replace the journal or the count files",
                fix: .command((isOwner(info, service) ? "" : "chown \(owner) \(path) && ") + "chmod 0750 \(path)"))
        }
        if let service, !isOwner(info, service), info.st_uid != 0 {
            return DoctorCheck(check, .warn,
                "\(path) is owned by \(describeOwner(info)), not by the service user '\(service.name)': that user can replace the journal or the count files",
                fix: .command("chown \(owner) \(path) && chmod 0750 \(path)"))
        }
        if mode & 0o020 != 0, let service, info.st_gid != service.gid {
            return DoctorCheck(check, .warn,
                "\(path) is writable by group \(groupName(info.st_gid)) (mode \(octal(mode))): its members can replace the journal",
                fix: .command("chmod 0750 \(path)"))
        }
        return nil
    }

    static func journalFileOwnership(_ path: String, service: ServiceIdentity?, owner: String) -> DoctorCheck? {
        var info = stat()
        guard lstat(path, &info) == 0 else { return nil }
        let file = String(path.split(separator: "/").last ?? "")
        let check = Words("ownership \(file)")
        guard info.st_mode & S_IFMT == S_IFREG else {
            return DoctorCheck(check, .fail, "\(path) is not a regular file (a symbolic link or a device): the agent refuses to open it",
                fix: "stop the agent, move it aside (mv \(path) \(path).suspect) and call for support")
        }
        let mode = info.st_mode & 0o7777
        if let service, !service.may(0o6, info) {
            return DoctorCheck(check, .fail,
                "\(path) is owned by \(describeOwner(info)), mode \(octal(mode)): the service user '\(service.name)' cannot write it, so the agent retries \"readonly database\" and accepts no scan",
                fix: .command("chown \(owner) \(path) && chmod 0640 \(path)"))
        }
        if mode & 0o022 != 0 {
            return DoctorCheck(check, .warn,
                mode & 0o002 != 0 ? "\(path) is writable by every user (mode \(octal(mode))): records could be forged" : "\(path) is writable by its group (mode \(octal(mode))): records could be forged",
                fix: .command("chmod 0640 \(path)"))
        }
        if mode & 0o004 != 0 {
            return DoctorCheck(check, .warn,
                "\(path) is readable by every user (mode \(octal(mode))): every parcel code and time is visible to anyone on the box",
                fix: .command("chmod 0640 \(path)"))
        }
        return nil
    }

    static func configurationOwnership(_ path: String, service: ServiceIdentity?, serviceUser: String) -> DoctorCheck? {
        var info = stat()
        guard stat(path, &info) == 0 else { return nil }
        let mode = info.st_mode & 0o7777
        let group = service?.groupName ?? serviceUser
        let fix = Words.command("chown root:\(group) \(path) && chmod 0640 \(path)")
        if let service, !service.may(0o4, info) {
            return DoctorCheck("ownership configuration", .fail,
                "\(path) (owner \(describeOwner(info)), mode \(octal(mode))) cannot be read by the service user '\(service.name)': the agent would not start",
                fix: fix)
        }
        if mode & 0o022 != 0 {
            return DoctorCheck("ownership configuration", .warn,
                "\(path) is writable by \(mode & 0o002 != 0 ? Words("every user") : Words("group \(groupName(info.st_gid))")) (mode \(octal(mode))): they can change where the agent writes and what it trusts",
                fix: fix)
        }
        if info.st_uid != 0 {
            return DoctorCheck("ownership configuration", .warn,
                "\(path) is owned by \(describeOwner(info)), who can change where the agent writes and what it trusts",
                fix: fix)
        }
        return nil
    }

    private static func isOwner(_ info: stat, _ service: ServiceIdentity?) -> Bool { service.map { info.st_uid == $0.uid } ?? false }

    private static func describeOwner(_ info: stat) -> String {
        let user = getpwuid(info.st_uid).map { String(cString: $0.pointee.pw_name) } ?? "uid \(info.st_uid)"
        return "\(user):\(groupName(info.st_gid))"
    }

    private static func groupName(_ gid: gid_t) -> String {
        getgrgid(gid).map { String(cString: $0.pointee.gr_name) } ?? "gid \(gid)"
    }

    static func octal(_ mode: mode_t) -> String {
        let digits = String(mode, radix: 8)
        return String(repeating: "0", count: max(0, 4 - digits.count)) + digits
    }

    static func readSmallFile(_ path: String) -> String? {
        let descriptor = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC)
        guard descriptor >= 0 else { return nil }
        defer { close(descriptor) }
        var info = stat()
        guard fstat(descriptor, &info) == 0, info.st_mode & S_IFMT == S_IFREG, info.st_size < 65_536 else { return nil }
        var buffer = [UInt8](repeating: 0, count: Int(info.st_size))
        let count = buffer.withUnsafeMutableBytes { read(descriptor, $0.baseAddress, $0.count) }
        guard count >= 0 else { return nil }
        return String(decoding: buffer.prefix(count), as: UTF8.self)
    }
}
