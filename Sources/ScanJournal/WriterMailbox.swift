import ParcelRules
import StationTime
#if canImport(Glibc)
import Glibc
#endif

/// A unit of work for the writer thread.
enum Job {
    case scan(JournalScan, CheckedContinuation<Result<AcceptedScan, JournalError>, Never>)
    case observeClock(ClockReading, CheckedContinuation<Result<Int, JournalError>, Never>)
    case pageLimit(Int?, CheckedContinuation<Result<Void, JournalError>, Never>)

    var isScan: Bool {
        if case .scan = self { return true }
        return false
    }

    func fail(_ error: JournalError) {
        switch self {
        case .scan(_, let continuation): continuation.resume(returning: .failure(error))
        case .observeClock(_, let continuation): continuation.resume(returning: .failure(error))
        case .pageLimit(_, let continuation): continuation.resume(returning: .failure(error))
        }
    }
}

/// What submitters and the writer thread share, behind one pthread mutex with a condition variable.
///
/// pthreads rather than Swift concurrency on the writer side: SQLite's calls block (an fsync on an SD card takes
/// tens of milliseconds), and blocking the cooperative pool would stall every other task of the agent.
final class WriterMailbox: @unchecked Sendable {
    private let mutex = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
    private let condition = UnsafeMutablePointer<pthread_cond_t>.allocate(capacity: 1)

    // Everything below is protected by `mutex`.
    private var queue: [Job] = []
    private var queuedScans = 0
    private var urgent = false
    private var closing = false
    private var finished = false
    private var closeWaiters: [CheckedContinuation<Void, Never>] = []
    /// Scans the writer has taken from the queue and not yet answered: in a transaction, or held for a retry.
    /// They count against the backlog bound from the moment they leave the queue, under the same lock, so the bound
    /// never has a gap while the writer works on them.
    private var writerScans = 0
    private var rulesValue: ScanRules
    private var stats = JournalStatistics()
    private let path: String
    private let backlogLimit: Int

    init(rules: ScanRules, path: String, backlogLimit: Int) {
        self.rulesValue = rules
        self.path = path
        self.backlogLimit = backlogLimit
        pthread_mutex_init(mutex, nil)
        var attributes = pthread_condattr_t()
        pthread_condattr_init(&attributes)
        pthread_condattr_setclock(&attributes, CLOCK_MONOTONIC)
        pthread_cond_init(condition, &attributes)
        pthread_condattr_destroy(&attributes)
    }

    deinit {
        pthread_cond_destroy(condition)
        pthread_mutex_destroy(mutex)
        condition.deallocate()
        mutex.deallocate()
    }

    private func locked<T>(_ body: () -> T) -> T {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        return body()
    }

    /// Queues a job, or fails it at once: after close, or (for scans) when the backlog bound is reached.
    func submit(_ job: Job) {
        let refusal: JournalError? = locked {
            if closing || finished { return .closedBeforeCommit(path: path, lastFailure: nil) }
            if job.isScan, queuedScans + writerScans >= backlogLimit {
                return .backlogFull(path: path, pending: queuedScans + writerScans, lastFailure: stats.lastFailure ?? "")
            }
            queue.append(job)
            if job.isScan { queuedScans += 1 } else { urgent = true }
            stats.pending = queuedScans + writerScans
            pthread_cond_signal(condition)
            return nil
        }
        if let refusal { job.fail(refusal) }
    }

    /// Takes up to `limit` queued jobs. Blocks until there is work or the journal is closing if `block`.
    func take(limit: Int, block: Bool) -> (jobs: [Job], closing: Bool) {
        locked {
            while block && queue.isEmpty && !closing {
                pthread_cond_wait(condition, mutex)
            }
            let count = min(limit, queue.count)
            let jobs = Array(queue.prefix(count))
            queue.removeFirst(count)
            let scans = jobs.filter(\.isScan).count
            queuedScans -= scans
            writerScans += scans
            urgent = false
            return (jobs, closing)
        }
    }

    /// Waits up to `nanoseconds` (the retry backoff), returning early for a close or a control job.
    func pause(nanoseconds: Int64) {
        locked {
            var now = timespec()
            clock_gettime(CLOCK_MONOTONIC, &now)
            let total = Int64(now.tv_nsec) + nanoseconds % 1_000_000_000
            var deadline = timespec()
            deadline.tv_sec = now.tv_sec + Int(nanoseconds / 1_000_000_000 + total / 1_000_000_000)
            deadline.tv_nsec = Int(total % 1_000_000_000)
            while !closing && !urgent {
                if pthread_cond_timedwait(condition, mutex, &deadline) == ETIMEDOUT { break }
            }
        }
    }

    var rules: ScanRules {
        get { locked { rulesValue } }
        set { locked { rulesValue = newValue } }
    }

    var statistics: JournalStatistics { locked { stats } }

    func update(_ change: (inout JournalStatistics) -> Void) {
        locked { change(&stats) }
    }

    /// Records how many of the scans the writer took it still holds (for a retry) after answering the others.
    func setHeld(_ count: Int, failure: String?) {
        locked {
            writerScans = count
            stats.pending = queuedScans + writerScans
            stats.lastFailure = failure ?? stats.lastFailure
        }
    }

    func requestClose(_ waiter: CheckedContinuation<Void, Never>?) {
        let alreadyFinished: Bool = locked {
            closing = true
            if finished { return true }
            if let waiter { closeWaiters.append(waiter) }
            pthread_cond_signal(condition)
            return false
        }
        if alreadyFinished { waiter?.resume() }
    }

    /// Called by the writer thread as it exits: fails anything left and wakes `close()` callers.
    func finish(lastFailure: String?) {
        let (left, waiters): ([Job], [CheckedContinuation<Void, Never>]) = locked {
            finished = true
            defer {
                queue = []
                closeWaiters = []
            }
            return (queue, closeWaiters)
        }
        for job in left { job.fail(.closedBeforeCommit(path: path, lastFailure: lastFailure)) }
        for waiter in waiters { waiter.resume() }
    }
}
