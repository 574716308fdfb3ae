public import CountReports
public import Logging
public import ScanJournal
public import StoreClient
public import StationTime
import Synchronization

/// The state of one count file with respect to the store (for `upload --status`, `doctor` and STATUS).
public struct UploadFileState: Sendable, Equatable {
    public enum State: String, Sendable {
        /// The store confirmed exactly the bytes the file has now.
        case acknowledged
        /// Never confirmed.
        case waiting
        /// Confirmed once, rewritten since: the new bytes wait.
        case changed
    }

    public var file: OutboxCountFile
    public var state: State
    /// The last version the store confirmed, if any (for `changed`: the older one).
    public var record: UploadRecord?
}

/// What one pass over the outbox did.
public struct UploadPass: Sendable {
    public var sent: [String] = []
    /// The failure that ended the pass early (the rest waits for the next one), if any.
    public var failure: StoreError?
    /// Files that wait after the pass (not acknowledged in their present bytes).
    public var waiting: [OutboxCountFile] = []
    /// Files skipped by a failure of their own (413): they wait, the others went on.
    public var skipped: [String: StoreError] = [:]
    /// A ledger that could not be written: the pass stopped.
    public var ledgerFailure: String?
}

/// Sends the count files the store has not acknowledged, one pass at a time, and keeps the ledger (SPEC §8).
/// A file is recorded as acknowledged only after the store confirmed its exact bytes (the client checks the ETag
/// against the MD5 of what it sent), in the ledger's own committed transaction: a crash before that commit leaves it
/// waiting, and the next pass sends it again (the same bytes, so the store's copy does not change).
///
/// Used from one thread at a time (the uploader's).
public final class Uploader: Sendable {
    public let client: StoreClient
    public let ledger: UploadLedger
    /// The `[upload]` url: names the target in the ledger.
    public let target: String
    public let outbox: OutboxDirectory
    public let stationID: String
    let logger: Logger
    let wallNanos: @Sendable () -> Int64

    public init(
        client: StoreClient, ledger: UploadLedger, target: String, outbox: OutboxDirectory, stationID: String,
        logger: Logger, wallNanos: @escaping @Sendable () -> Int64 = { SystemClock.wallNanos() }
    ) {
        self.client = client
        self.ledger = ledger
        self.target = target
        self.outbox = outbox
        self.stationID = stationID
        self.logger = logger
        self.wallNanos = wallNanos
    }

    /// Every count file of the station with its state, in upload order.
    public func states() throws(JournalError) -> [UploadFileState] {
        try Self.states(outbox: outbox, stationID: stationID, records: ledger.records(target: target))
    }

    public static func states(outbox: OutboxDirectory, stationID: String, records: [String: UploadRecord]) -> [UploadFileState] {
        outbox.uploadCandidates(stationID: stationID).files.map { file in
            let record = records[file.name]
            let state: UploadFileState.State =
                record == nil ? .waiting : record!.sha256 == file.sha256 ? .acknowledged : .changed
            return UploadFileState(file: file, state: state, record: record)
        }
    }

    /// Sends every waiting file, oldest final day first. Stops at the first failure that would fail the next file
    /// too (the store unreachable, refusing the secret, ...); a file the store refuses for itself (413) is skipped.
    /// `shouldStop` is asked between files (the agent is stopping).
    public func pass(shouldStop: () -> Bool = { false }) -> UploadPass {
        var result = UploadPass()
        let records: [String: UploadRecord]
        do {
            records = try ledger.records(target: target)
        } catch {
            result.ledgerFailure = "\(error)"
            return result
        }
        let states = Self.states(outbox: outbox, stationID: stationID, records: records)
        var waiting = states.filter { $0.state != .acknowledged }.map(\.file)
        var index = 0
        while index < waiting.count, result.failure == nil, result.ledgerFailure == nil, !shouldStop() {
            let file = waiting[index]
            do {
                let receipt = try client.put(file.key, body: file.bytes, contentType: file.contentType)
                let record = UploadRecord(
                    target: target, file: file.name, key: receipt.location, sha256: file.sha256,
                    size: Int64(file.bytes.count), ackedAtNanos: wallNanos(), status: receipt.status, etag: receipt.etag,
                    answer: receipt.answer)
                do {
                    try ledger.acknowledge(record)
                    result.sent.append(file.name)
                    waiting.remove(at: index)
                    continue
                } catch {
                    result.ledgerFailure = "the store has \(file.name) but the ledger cannot record it (it will be sent again): \(error)"
                }
            } catch {
                if case .tooLarge = error {
                    result.skipped[file.name] = error
                } else {
                    result.failure = error
                }
            }
            index += 1
        }
        result.waiting = waiting
        return result
    }
}
