import SystemSupport

/// Runs blocking journal work (opening and checking it, computing a year of count files) on a thread of its own,
/// so it never holds one of Swift's few cooperative threads (two on a two-core box) for seconds.
public func runOnDedicatedThread<T: Sendable>(_ body: @escaping @Sendable () -> T) async -> T {
    await withCheckedContinuation { (continuation: CheckedContinuation<T, Never>) in
        let work: @Sendable () -> Void = { continuation.resume(returning: body()) }
        if case .failure = startThread(detached: true, work) {
            // No thread to be had: do the work here rather than not at all.
            work()
        }
    }
}
