internal import CLibUSB
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// The one thread that runs libusb's event loop for a context.
///
/// It blocks in `libusb_handle_events_completed` (poll on the device fds, no busy wait) and runs
/// every transfer and hotplug callback. `stop()` sets a flag, wakes the loop with
/// `libusb_interrupt_event_handler` and joins, so shutdown is prompt and leaves no thread behind.
final class EventThread: Sendable {
    /// Safe to share: libusb contexts are thread-safe, and the pointer outlives the thread
    /// (`stop()` joins before the owner calls `libusb_exit`).
    nonisolated(unsafe) private let context: OpaquePointer
    private let stopping = Atomic<Bool>(false)
    private let thread = Mutex<pthread_t?>(nil)

    init(context: OpaquePointer) {
        self.context = context
    }

    func start() {
        let retained = Unmanaged.passRetained(self).toOpaque()
        var handle = pthread_t()
        let result = pthread_create(
            &handle, nil,
            { argument in
                let owner = Unmanaged<EventThread>.fromOpaque(argument!).takeRetainedValue()
                owner.loop()
                return nil
            }, retained)
        precondition(result == 0, "cannot start the libusb event thread: pthread_create returned \(result)")
        thread.withLock { $0 = handle }
    }

    private func loop() {
        _ = station_set_thread_name("libusb-events")
        while !stopping.load(ordering: .acquiring) {
            // Blocks until an fd is ready, a timeout of libusb's expires, or interrupt is called.
            let result = libusb_handle_events_completed(context, nil)
            if result < 0 && result != LIBUSB_ERROR_INTERRUPTED.rawValue {
                // Errors here are transient (EINTR and the like); avoid spinning on a persistent one.
                usleep(1000)
            }
        }
    }

    /// Stops the loop and waits for the thread to end. Idempotent.
    func stop() {
        guard !stopping.exchange(true, ordering: .acquiringAndReleasing) else { return }
        libusb_interrupt_event_handler(context)
        // No lost wake-up: an interrupt that lands before the loop reaches poll() leaves libusb's
        // event fd signalled, so the next libusb_handle_events_completed returns at once.
        if let handle = thread.withLock({ current -> pthread_t? in
            defer { current = nil }
            return current
        }) {
            pthread_join(handle, nil)
        }
    }
}
