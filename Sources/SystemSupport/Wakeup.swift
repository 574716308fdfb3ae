#if canImport(Glibc)
import Glibc
#endif

/// A counting semaphore for a thread of its own: posted for every piece of work (and at stop), waited on by the
/// thread that does it (the voice's player, the camera's decoder).
public final class Wakeup: Sendable {
    // sem_post and sem_wait are thread-safe; the sem_t is allocated once and never moves.
    nonisolated(unsafe) private let semaphore: UnsafeMutablePointer<sem_t>

    public init() {
        semaphore = .allocate(capacity: 1)
        sem_init(semaphore, 0, 0)
    }

    deinit {
        sem_destroy(semaphore)
        semaphore.deallocate()
    }

    public func post() { sem_post(semaphore) }

    /// Waits for one post (a signal does not end the wait).
    public func wait() {
        while sem_wait(semaphore) != 0 && errno == EINTR {}
    }
}
