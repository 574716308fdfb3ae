internal import CLibUSB
import Synchronization

/// One libusb transfer and its buffer, owned on the heap for the transfer's whole life.
///
/// While libusb owns the transfer, the handle's in-flight table holds the box and the box holds
/// the handle, so neither can be freed under libusb (the classic release-build use-after-free).
/// The table lets go when the transfer completes for the last time.
final class TransferBox: Sendable {
    /// Allocated in `init`, freed in `deinit`; libusb reads it only while the box is in flight.
    nonisolated(unsafe) let transfer: UnsafeMutablePointer<libusb_transfer>
    /// The data buffer, likewise owned by the box.
    nonisolated(unsafe) let buffer: UnsafeMutablePointer<UInt8>
    let length: Int
    let handle: USBDeviceHandle
    /// Set before submission and read only by the event thread afterwards (libusb's submit
    /// orders the two). Returns whether to resubmit.
    nonisolated(unsafe) var onComplete: ((UnsafeMutablePointer<libusb_transfer>) -> Bool)?
    /// Called once when the transfer leaves flight for good, with the error if resubmission failed.
    nonisolated(unsafe) var onEnded: ((USBError?) -> Void)?
    /// Guards the decision to resubmit against a concurrent cancel, so a transfer cancelled while
    /// its callback runs is not resubmitted behind the cancel's back.
    private let cancelled = Mutex<Bool>(false)

    init(handle: USBDeviceHandle, length: Int) {
        self.handle = handle
        self.length = length
        guard let transfer = libusb_alloc_transfer(0) else { fatalError("libusb_alloc_transfer: out of memory") }
        self.transfer = transfer
        self.buffer = .allocate(capacity: max(length, 1))
        buffer.initialize(repeating: 0, count: max(length, 1))
    }

    func fill(endpoint: UInt8, type: USBTransferType, timeoutMilliseconds: UInt32) {
        let userData = Unmanaged.passUnretained(self).toOpaque()
        switch type {
        case .interrupt:
            libusb_fill_interrupt_transfer(
                transfer, handle.raw, endpoint, buffer, Int32(length), transferTrampoline, userData, timeoutMilliseconds)
        default:
            libusb_fill_bulk_transfer(
                transfer, handle.raw, endpoint, buffer, Int32(length), transferTrampoline, userData, timeoutMilliseconds)
        }
    }

    func fillControl(timeoutMilliseconds: UInt32) {
        libusb_fill_control_transfer(
            transfer, handle.raw, buffer, transferTrampoline, Unmanaged.passUnretained(self).toOpaque(),
            timeoutMilliseconds)
    }

    /// Asks libusb to cancel; the callback then runs with `LIBUSB_TRANSFER_CANCELLED`.
    func cancel() {
        cancelled.withLock { flag in
            flag = true
            _ = libusb_cancel_transfer(transfer)
        }
    }

    /// Submits (first time or again) unless a cancel came first: a close between registering the box and
    /// submitting it would otherwise find nothing to cancel and leave the transfer running. Returns libusb's
    /// result, 0 when submitted.
    func submit() -> Int32 {
        cancelled.withLock { flag -> Int32 in
            if flag { return USBError.cancelled.code }
            return libusb_submit_transfer(transfer)
        }
    }

    deinit {
        libusb_free_transfer(transfer)
        buffer.deallocate()
    }
}

/// Runs on the libusb event thread for every completed, failed or cancelled transfer.
private func transferTrampoline(_ transfer: UnsafeMutablePointer<libusb_transfer>?) {
    guard let transfer, let userData = transfer.pointee.user_data else { return }
    // The handle's in-flight table keeps the box alive until `finished`; this reference keeps it
    // alive to the end of the function.
    let box = Unmanaged<TransferBox>.fromOpaque(userData).takeUnretainedValue()
    var endError: USBError?
    if box.onComplete?(transfer) ?? false {
        let failure = box.submit()
        guard failure != 0 else { return }
        if failure != USBError.cancelled.code {
            endError = USBError(code: failure, operation: "resubmit a transfer at \(box.handle.id)")
        }
    }
    box.onEnded?(endError)
    box.handle.finished(box)
}

/// The state an input stream's transfers share: how many are still in flight and why it ends.
final class InputStreamState: Sendable {
    private let continuation: AsyncThrowingStream<USBInput, any Error>.Continuation
    private let state = Mutex<State>(State())

    private struct State {
        var boxes: [TransferBox] = []
        var active = 0
        var failure: USBError?
        var consecutiveErrors = 0
    }

    /// Transient transfer errors (EPROTO, EILSEQ on a noisy cable) tolerated in a row.
    static let maxConsecutiveErrors = 20

    private let tally: USBInputTally?

    init(continuation: AsyncThrowingStream<USBInput, any Error>.Continuation, tally: USBInputTally? = nil) {
        self.continuation = continuation
        self.tally = tally
    }

    func attach(_ boxes: [TransferBox]) {
        state.withLock {
            $0.boxes = boxes
            $0.active = boxes.count
        }
        for box in boxes { box.onEnded = { [self] error in ended(error) } }
    }

    /// Handles one completion; returns whether to resubmit.
    func completed(_ transfer: UnsafeMutablePointer<libusb_transfer>) -> Bool {
        let status = transfer.pointee.status
        switch status {
        case LIBUSB_TRANSFER_COMPLETED:
            let now = MonotonicClock.now()
            let bytes = Array(UnsafeBufferPointer(start: transfer.pointee.buffer, count: Int(transfer.pointee.actual_length)))
            state.withLock { $0.consecutiveErrors = 0 }
            if !bytes.isEmpty {
                // Counted before it is handed over, so a consumer that has taken as many as the tally
                // says knows nothing waits for it.
                tally?.add()
                continuation.yield(USBInput(bytes: bytes, completedAt: now))
            }
            return true
        case LIBUSB_TRANSFER_CANCELLED:
            return false
        case LIBUSB_TRANSFER_TIMED_OUT:
            return true
        case LIBUSB_TRANSFER_ERROR:
            return state.withLock { state in
                state.consecutiveErrors += 1
                if state.consecutiveErrors <= Self.maxConsecutiveErrors { return true }
                state.failure = state.failure ?? USBError(code: LIBUSB_ERROR_IO.rawValue, operation: "read input")
                return false
            }
        default:
            let failure = USBError(code: transferStatusCode(status), operation: "read input from endpoint \(hexByte(transfer.pointee.endpoint))")
            state.withLock { $0.failure = $0.failure ?? failure }
            return false
        }
    }

    private func ended(_ error: USBError?) {
        let (finish, failure, boxes) = state.withLock { state -> (Bool, USBError?, [TransferBox]) in
            if let error { state.failure = state.failure ?? error }
            state.active -= 1
            // One transfer failing for good (device gone) ends the stream: cancel its siblings.
            let siblings = state.failure != nil && state.active > 0 ? state.boxes : []
            return (state.active == 0, state.failure, siblings)
        }
        for box in boxes { box.cancel() }
        guard finish else { return }
        state.withLock { $0.boxes = [] }
        if let failure { continuation.finish(throwing: failure) } else { continuation.finish() }
    }

    func submitFailed(_ error: USBError) {
        ended(error)
    }

    func cancelAll() {
        let boxes = state.withLock { $0.boxes }
        for box in boxes { box.cancel() }
    }
}
