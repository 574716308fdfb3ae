public import HumanWords
import CountUpload
import CountReports
public import Logging
import ScanJournal
public import ServiceLifecycle
public import StationConfig
public import StoreClient
import StationTime
import SystemSupport
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// Why `[upload]` cannot be used as configured (exit status 2 at start: the agent refuses to run rather than keep
/// count files waiting for ever without anyone knowing).
public struct UploadSetupError: Error, Sendable, Equatable, CustomStringConvertible {
    public let message: String
    public let fix: String
    public var description: String { "\(message): \(fix)" }
}

/// From `[upload]` to a store client (SPEC §3, §8): the secret file checked and read, the target built.
public enum UploadSetup {
    /// The largest secret file (an S3 secret key is 40 characters, a token a few hundred).
    static let secretLimit = 4096

    /// Reads `secret_file`: a regular file (not a link), owned by the user the agent runs as or by root, readable by
    /// no one else (no bits for others, not writable by its group); its content without the trailing newline.
    /// `owner` is the user the agent will run as (the running process, or the service user for `doctor`).
    public static func readSecret(_ path: String, owner: UInt32? = nil) throws(UploadSetupError) -> StoreSecret {
        let owner: uid_t = owner ?? geteuid()
        let fd = retryingInterrupts { open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY) }
        guard fd >= 0 else {
            let code = errno
            if code == ELOOP {
                throw UploadSetupError(message: "upload.secret_file \(path) is a symbolic link",
                    fix: "put the secret in a regular file there (install -m 0600 -o station-agent /dev/null \(path), then write the secret into it)")
            }
            if code == ENOENT {
                throw UploadSetupError(message: "upload.secret_file \(path) does not exist",
                    fix: "write the secret the county gave this station into it: install -m 0600 -o station-agent /dev/null \(path), then edit it")
            }
            throw UploadSetupError(message: "upload.secret_file \(path) cannot be read by uid \(geteuid()): \(SystemErrno(code))",
                fix: "chown station-agent \(path) && chmod 0600 \(path)")
        }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0, info.st_mode & S_IFMT == S_IFREG else {
            throw UploadSetupError(message: "upload.secret_file \(path) is not a regular file", fix: "name a file that holds only the secret")
        }
        guard info.st_uid == owner || info.st_uid == 0 else {
            let name = getpwuid(owner).map { String(cString: $0.pointee.pw_name) } ?? String(owner)
            throw UploadSetupError(message: "upload.secret_file \(path) belongs to uid \(info.st_uid), not to \(name) (the agent's user) or root",
                fix: "chown \(name) \(path) && chmod 0600 \(path)")
        }
        let mode = info.st_mode & 0o777
        guard mode & 0o007 == 0, mode & 0o020 == 0 else {
            throw UploadSetupError(
                message: "upload.secret_file \(path) has mode \(String(mode, radix: 8)): other users can \(mode & 0o004 != 0 ? "read" : "change") the secret",
                fix: "chmod 0600 \(path) (or 0640 with the group station-agent when root owns it)")
        }
        guard Int(info.st_size) <= secretLimit else {
            throw UploadSetupError(message: "upload.secret_file \(path) is \(info.st_size) bytes, not a secret", fix: "put only the secret in it (one line)")
        }
        var bytes = [UInt8](repeating: 0, count: secretLimit + 1)
        let count = retryingInterrupts { bytes.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) } }
        guard count >= 0 else {
            throw UploadSetupError(message: "upload.secret_file \(path) cannot be read: \(SystemErrno(errno))", fix: "check the SD card (dmesg)")
        }
        var secret = Array(bytes.prefix(count))
        for index in bytes.indices { bytes[index] = 0 }
        while let last = secret.last, last == 0x0A || last == 0x0D || last == 0x20 || last == 0x09 { secret.removeLast() }
        defer { for index in secret.indices { secret[index] = 0 } }
        guard !secret.isEmpty else {
            throw UploadSetupError(message: "upload.secret_file \(path) is empty", fix: "write the secret the county gave this station into it")
        }
        guard secret.allSatisfy({ $0 >= 0x20 && $0 != 0x7F }), let text = String(validating: secret, as: UTF8.self) else {
            throw UploadSetupError(message: "upload.secret_file \(path) holds more than one line or control characters",
                fix: "put only the secret in it, on one line")
        }
        return StoreSecret(text)
    }

    /// The store target of `[upload]` with its secret.
    public static func target(_ upload: UploadConfiguration, secret: StoreSecret) -> StoreTarget {
        let kind: StoreTarget.Kind
        switch upload.destination {
        case .s3(let bucket, let prefix):
            kind = .s3(bucket: bucket, prefix: prefix, endpoint: upload.endpoint, region: upload.region,
                       accessKeyID: upload.accessKeyID ?? "", virtualHostStyle: upload.virtualHostStyle)
        case .http(let baseURL):
            kind = .http(baseURL: baseURL, username: upload.username)
        }
        return StoreTarget(kind: kind, secret: secret, caFile: upload.caFile)
    }

    /// How a technician gives the service the network it needs for `[upload]` (the shipped unit has none).
    public static let dropInCommand =
        "install -D -m 0644 /usr/share/station-agent/upload-network.conf /etc/systemd/system/station-agent.service.d/upload-network.conf && systemctl daemon-reload && systemctl restart station-agent"

    /// Whether this process may make an IP socket (not so under the shipped unit's `RestrictAddressFamilies`).
    public static func mayMakeIPSockets() -> Bool {
        let fd = socket(AF_INET, Int32(SOCK_DGRAM.rawValue), 0)
        guard fd >= 0 else { return errno != EAFNOSUPPORT && errno != EPERM }
        close(fd)
        return true
    }

    /// The client of `[upload]`, for the user running this process.
    public static func client(_ upload: UploadConfiguration) throws(UploadSetupError) -> StoreClient {
        let secret = try readSecret(upload.secretFile)
        do {
            return try StoreClient(target: target(upload, secret: secret))
        } catch {
            throw UploadSetupError(message: "the upload settings cannot work", fix: "\(error)")
        }
    }
}

/// The uploader as a service of `run`: opens the ledger once the journal is open, then runs ``UploadService``.
public final class AgentUploadService: Service, Sendable {
    let client: StoreClient
    let configuration: StationConfiguration
    let upload: UploadConfiguration
    let logger: Logger
    private let service = SendableBox<UploadService?>(nil)

    public init(client: StoreClient, configuration: StationConfiguration, upload: UploadConfiguration, logger: Logger) {
        self.client = client
        self.configuration = configuration
        self.upload = upload
        self.logger = logger
    }

    /// A pass soon (the count files were rewritten).
    public func trigger() { service.value?.trigger() }

    /// For the STATUS line: nil until the uploader runs.
    public func statusLine() -> Words? {
        service.value.map { $0.status.line(nowNanos: SystemClock.wallNanos()) }
    }

    public func run() async throws {
        let ledger: UploadLedger
        let dataDirectory = configuration.dataDirectory
        switch await runOnDedicatedThread({ () -> Result<UploadLedger, JournalError> in
            Result { () throws(JournalError) in try UploadLedger(dataDirectory: dataDirectory) }
        }) {
        case .success(let opened): ledger = opened
        case .failure(let error):
            logger.error("count files will NOT be uploaded: the upload ledger cannot be opened: \(error)")
            return
        }
        defer { ledger.close() }
        let uploader = Uploader(
            client: client, ledger: ledger, target: upload.url,
            outbox: OutboxDirectory(path: configuration.outboxDirectory), stationID: configuration.stationID, logger: logger)
        let uploads = UploadService(uploader: uploader, intervalSeconds: upload.intervalSeconds, logger: logger)
        service.value = uploads
        if !UploadSetup.mayMakeIPSockets() {
            logger.error(
                "count files cannot reach \(upload.url): this agent may not make IP connections (the systemd unit's RestrictAddressFamilies); install the drop-in: \(UploadSetup.dropInCommand)")
        }
        logger.info("uploading count files to \(upload.url) (every \(upload.intervalSeconds) s at most, and after each refresh)")
        try await uploads.run()
    }
}

/// A value shared between tasks under a lock.
final class SendableBox<Value: Sendable>: Sendable {
    private let storage: Mutex<Value>
    init(_ value: Value) { storage = Mutex(value) }
    var value: Value {
        get { storage.withLock { $0 } }
        set { storage.withLock { $0 = newValue } }
    }
}
