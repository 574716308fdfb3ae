#if canImport(Glibc)
import Glibc
#endif

/// Runs blocking journal work (opening and checking it, computing a year of count files) on a thread of its own,
/// so it never holds one of Swift's few cooperative threads (two on a two-core box) for seconds.
public func runOnDedicatedThread<T: Sendable>(_ body: @escaping @Sendable () -> T) async -> T {
    await withCheckedContinuation { (continuation: CheckedContinuation<T, Never>) in
        let job = Unmanaged.passRetained(ThreadJob { continuation.resume(returning: body()) }).toOpaque()
        var thread = pthread_t()
        let started = pthread_create(
            &thread, nil,
            { raw in
                Unmanaged<ThreadJob>.fromOpaque(raw!).takeRetainedValue().body()
                return nil
            }, job)
        if started == 0 {
            pthread_detach(thread)
        } else {
            // No thread to be had: do the work here rather than not at all.
            Unmanaged<ThreadJob>.fromOpaque(job).takeRetainedValue().body()
        }
    }
}

/// The work a dedicated thread runs, handed to it through `pthread_create`'s argument.
private final class ThreadJob: Sendable {
    let body: @Sendable () -> Void
    init(_ body: @escaping @Sendable () -> Void) { self.body = body }
}
