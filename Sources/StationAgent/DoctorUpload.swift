import HumanWords
import CountReports
import CountUpload
import ScanJournal
import StationConfig
import StationTime
import StoreClient
#if canImport(Glibc)
import Glibc
import SystemSupport
#endif

/// `doctor`'s lines for `[upload]` (SPEC §8): the secret file's owner and mode (for the service user), one signed
/// request to the store, and what waits in the ledger.
extension Doctor {
    static func upload(_ configuration: StationConfiguration, serviceUser: String) -> [DoctorCheck] {
        guard let upload = configuration.upload else {
            return [DoctorCheck("upload", .pass, "no [upload] in the configuration: count files stay on this box (export --to copies them to a USB stick)")]
        }
        var checks: [DoctorCheck] = []
        let owner = ServiceIdentity(user: serviceUser)
        let secret: StoreSecret
        do {
            secret = try UploadSetup.readSecret(upload.secretFile, owner: owner?.uid ?? geteuid())
        } catch {
            return [DoctorCheck("upload secret", .fail, .verbatim(error.message), fix: .verbatim(error.fix))]
        }
        var info = stat()
        if let owner, lstat(upload.secretFile, &info) == 0, !owner.may(0o4, info) {
            checks.append(DoctorCheck(
                "upload secret", .fail, "\(upload.secretFile) cannot be read by \(owner.name), the user the service runs as",
                fix: .command("chown \(owner.name) \(upload.secretFile) && chmod 0600 \(upload.secretFile)")))
        } else {
            checks.append(DoctorCheck("upload secret", .pass, "\(upload.secretFile): owner and mode are right"))
        }
        do {
            let client = try StoreClient(target: UploadSetup.target(upload, secret: secret))
            let receipt = try client.probe()
            if let offset = client.clockOffsetSeconds, abs(offset) >= 60 {
                checks.append(DoctorCheck("upload store", .pass, "\(upload.url) answers a signed request (\(receipt.answer)); this box's clock is \(UploadStatus.age(abs(offset) * 1_000_000_000)) off the store's"))
            } else {
                checks.append(DoctorCheck("upload store", .pass, "\(upload.url) answers a signed request (\(receipt.answer))"))
            }
        } catch {
            checks.append(DoctorCheck("upload store", error.isRetryable ? .warn : .fail, "\(upload.url): \(error)",
                fix: error.isRetryable ? "check the network (ping the store's host); the agent keeps retrying by itself" : "correct [upload] or the secret file as the message says, then run doctor again"))
        }
        if let check = unitNetwork() { checks.append(check) }
        checks.append(backlog(configuration, upload: upload))
        return checks
    }

    /// FAIL when the installed unit lets the agent make no IP socket or pass no IP traffic (the shipped
    /// `RestrictAddressFamilies=AF_UNIX AF_NETLINK` and `IPAddressDeny=any`) and no drop-in allows them: the agent
    /// would retry for ever. Nil when no unit is installed (a hand-run agent).
    public static func unitNetwork(
        unitPaths: [String] = installedUnitPaths, dropInDirectories: [String] = installedDropInDirectories
    ) -> DoctorCheck? {
        guard let texts = installedUnit(unitPaths: unitPaths, dropInDirectories: dropInDirectories) else { return nil }
        let network = UnitNetwork(texts)
        guard !network.allowsInternet else {
            return DoctorCheck("upload network", .pass, "the service's unit lets the agent reach the network")
        }
        return DoctorCheck("upload network", .fail,
            "the installed unit lets the agent make no IP connection (\(network.reason)): count files would never reach the store",
            fix: .command(UploadSetup.dropInCommand))
    }

    /// Where systemd looks for the agent's unit, first found wins.
    public static let installedUnitPaths = [
        "/etc/systemd/system/station-agent.service", "/lib/systemd/system/station-agent.service",
        "/usr/lib/systemd/system/station-agent.service",
    ]
    /// Where its drop-ins are, in the order systemd reads them.
    public static let installedDropInDirectories = [
        "/etc/systemd/system/station-agent.service.d", "/run/systemd/system/station-agent.service.d",
        "/lib/systemd/system/station-agent.service.d", "/usr/lib/systemd/system/station-agent.service.d",
    ]

    /// The `Key=value` assignments of a unit and its drop-ins, in the order systemd applies them: leading blanks
    /// trimmed, comment lines (`#`, `;`) and lines without `=` left out.
    static func unitAssignments(_ texts: [String]) -> [(key: Substring, value: Substring)] {
        texts.flatMap { text in
            text.split(separator: "\n").compactMap { line -> (key: Substring, value: Substring)? in
                let trimmed = line.trimmingPrefix { $0 == " " || $0 == "\t" }
                guard let equals = trimmed.firstIndex(of: "="), !trimmed.hasPrefix("#"), !trimmed.hasPrefix(";") else { return nil }
                return (trimmed[..<equals], trimmed[trimmed.index(after: equals)...].trimmingPrefix { $0 == " " })
            }
        }
    }

    /// The installed unit's text, then its drop-ins' (`*.conf`, each directory's in name order), as systemd reads
    /// them; nil when no unit is installed.
    static func installedUnit(unitPaths: [String], dropInDirectories: [String]) -> [String]? {
        guard let unit = unitPaths.lazy.compactMap(readSmallFile).first else { return nil }
        var texts = [unit]
        for directory in dropInDirectories {
            guard let handle = opendir(directory) else { continue }
            defer { closedir(handle) }
            var names: [String] = []
            while let entry = readdir(handle) {
                let name = directoryEntryName(entry)
                if name.hasSuffix(".conf") { names.append(name) }
            }
            texts += names.sorted().compactMap { readSmallFile(directory + "/" + $0) }
        }
        return texts
    }

    /// What a unit and its drop-ins, in order, say of IP sockets and traffic (systemd.exec, systemd.resource-control):
    /// an empty assignment resets a list, `~` denies the families that follow.
    struct UnitNetwork {
        var families: Set<String>?
        var familiesDenied = false
        var ipDenied = false
        var privateNetwork = false

        init(_ texts: [String]) {
            for (key, value) in Doctor.unitAssignments(texts) {
                switch key {
                case "RestrictAddressFamilies":
                    if value.isEmpty {
                        families = nil
                        familiesDenied = false
                    } else {
                        let deny = value.hasPrefix("~")
                        let names = (deny ? value.dropFirst() : value).split(separator: " ").map(String.init)
                        if deny {
                            families = (families ?? []).union(names)
                            familiesDenied = true
                        } else {
                            families = (familiesDenied ? [] : families ?? []).union(names)
                            familiesDenied = false
                        }
                    }
                case "IPAddressDeny":
                    ipDenied = !value.isEmpty
                case "PrivateNetwork":
                    privateNetwork = ["yes", "true", "1", "on"].contains(value.lowercased())
                default:
                    continue
                }
            }
        }

        var allowsInternet: Bool { reason.isEmpty }

        var reason: String {
            if privateNetwork { return "PrivateNetwork=yes" }
            if let families {
                let hasInet = families.contains("AF_INET") || families.contains("AF_INET6")
                if familiesDenied == hasInet { return "RestrictAddressFamilies without AF_INET" }
            }
            if ipDenied { return "IPAddressDeny=any" }
            return ""
        }
    }

    /// What waits for the store, from the ledger and the outbox.
    static func backlog(_ configuration: StationConfiguration, upload: UploadConfiguration) -> DoctorCheck {
        let outbox = OutboxDirectory(path: configuration.outboxDirectory)
        var records: [String: UploadRecord] = [:]
        var problem: UploadProblem?
        do {
            let ledger = try UploadLedger(readingDataDirectory: configuration.dataDirectory)
            defer { ledger.close() }
            records = try ledger.records(target: upload.url)
            problem = try ledger.problem(target: upload.url)
        } catch .noJournal {
        } catch {
            return DoctorCheck("upload backlog", .warn, "the upload ledger cannot be read: \(error)", fix: "see the journal line above")
        }
        let states = Uploader.states(outbox: outbox, stationID: configuration.stationID, records: records)
        let waiting = states.filter { $0.state != .acknowledged }
        guard !waiting.isEmpty else {
            return DoctorCheck("upload backlog", .pass, states.isEmpty ? Words("no count files yet") : Words("all \(states.count) count files acknowledged by the store"))
        }
        var status = UploadStatus()
        status.waiting = waiting.count
        status.waitingSinceNanos = problem?.sinceNanos
        status.problem = problem.map { _ in Words("see the upload store line") }
        let finalWaiting = waiting.filter(\.file.isFinal).count
        let line = status.line(nowNanos: SystemClock.wallNanos())
        if finalWaiting > 0 || problem != nil {
            let closed: Words = problem.map { "\(line) (\(finalWaiting) of closed days); last problem: \($0.message)" } ?? "\(line) (\(finalWaiting) of closed days)"
            return DoctorCheck("upload backlog", .warn, closed,
                fix: "the running agent sends them by itself once the store answers; station-agent upload sends them now")
        }
        return DoctorCheck("upload backlog", .pass, "\(line) (today's files, sent at the next refresh)")
    }
}
