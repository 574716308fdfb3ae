internal import CLibUSB
import Synchronization

/// An open USB device: claim interfaces, run transfers, close.
///
/// Claiming detaches a bound kernel driver (usbhid, cdc_acm, ftdi_sio) and `close()` gives it
/// back, so a scanner the agent lets go of works as a keyboard or tty again. Every transfer keeps
/// the handle alive until libusb has finished with it; `close()` cancels what is in flight and
/// waits for it before `libusb_close`, as libusb requires.
public final class USBDeviceHandle: Sendable {
    /// libusb handles are thread-safe for these calls; the pointer lives until `libusb_close`,
    /// which runs only after every transfer on it has completed (transfers retain the handle).
    nonisolated(unsafe) let raw: OpaquePointer
    /// Held so the context (and its event thread) outlive every handle.
    let context: USBContext
    public let id: USBDeviceID
    private let state = Mutex<State>(State())

    private struct State {
        /// Claimed interfaces, with whether we detached a kernel driver to claim it.
        var claimed: [UInt8: Bool] = [:]
        var inFlight: [ObjectIdentifier: TransferBox] = [:]
        var closed = false
        var drainWaiters: [CheckedContinuation<Void, Never>] = []
    }

    init(context: USBContext, raw: OpaquePointer, id: USBDeviceID) {
        self.context = context
        self.raw = raw
        self.id = id
    }

    /// What claiming had to do.
    public struct ClaimResult: Sendable, Equatable {
        /// A kernel driver was bound and has been detached (it is re-attached on release/close).
        public let detachedKernelDriver: Bool
    }

    /// Claims `interface`, detaching a bound kernel driver first (`libusb_detach_kernel_driver`,
    /// `libusb_claim_interface`).
    ///
    /// Where the driver state cannot be read (`libusb_kernel_driver_active` < 0, as under some
    /// emulations) it just tries to claim.
    @discardableResult
    public func claimInterface(_ interface: UInt8) throws(USBError) -> ClaimResult {
        let number = Int32(interface)
        var detached = false
        if libusb_kernel_driver_active(raw, number) == 1 {
            try check(libusb_detach_kernel_driver(raw, number), "detach the kernel driver of interface \(interface) at \(id)")
            detached = true
        }
        let result = libusb_claim_interface(raw, number)
        if result != 0 {
            if detached { _ = libusb_attach_kernel_driver(raw, number) }
            throw USBError(code: result, operation: "claim interface \(interface) at \(id)")
        }
        state.withLock { $0.claimed[interface] = detached }
        return ClaimResult(detachedKernelDriver: detached)
    }

    /// Releases `interface` and re-attaches the kernel driver if claiming detached it.
    public func releaseInterface(_ interface: UInt8) {
        guard let detached = state.withLock({ $0.claimed.removeValue(forKey: interface) }) else { return }
        _ = libusb_release_interface(raw, Int32(interface))
        if detached { _ = libusb_attach_kernel_driver(raw, Int32(interface)) }
    }

    /// A string descriptor in ASCII (`libusb_get_string_descriptor_ascii`), nil if absent.
    public func stringDescriptor(index: UInt8) -> String? {
        guard index != 0 else { return nil }
        var buffer = [UInt8](repeating: 0, count: 256)
        let count = libusb_get_string_descriptor_ascii(raw, index, &buffer, Int32(buffer.count))
        guard count > 0 else { return nil }
        return String(decoding: buffer[0..<Int(count)], as: UTF8.self)
    }

    /// Resets the device (`libusb_reset_device`): a scanner left mid-code by a previous run starts clean.
    public func reset() throws(USBError) {
        try check(libusb_reset_device(raw), "reset USB device at \(id)")
    }

    // MARK: Transfers

    /// Input from an interrupt or bulk IN endpoint, as it arrives, with the monotonic time each
    /// transfer completed.
    ///
    /// Keeps `transfersInFlight` transfers queued so no report waits for a resubmission. The
    /// stream ends normally when the consumer stops or the handle closes, and with
    /// `USBError.noDevice` when the device is unplugged. Buffers are heap-owned by the transfer
    /// for its whole life. `tally`, when given, counts each input as it is put into the stream, so the
    /// consumer can tell whether input it has not taken yet is waiting.
    public func inputStream(
        endpoint: UInt8, type: USBTransferType, length: Int, transfersInFlight: Int = 2, tally: USBInputTally? = nil
    ) -> AsyncThrowingStream<USBInput, any Error> {
        precondition(endpoint & 0x80 != 0, "inputStream needs an IN endpoint")
        precondition(type == .interrupt || type == .bulk, "inputStream supports interrupt and bulk endpoints")
        let (stream, continuation) = AsyncThrowingStream<USBInput, any Error>.makeStream()
        let shared = InputStreamState(continuation: continuation, tally: tally)
        var boxes: [TransferBox] = []
        for _ in 0..<max(1, transfersInFlight) {
            let box = TransferBox(handle: self, length: length)
            box.fill(endpoint: endpoint, type: type, timeoutMilliseconds: 0)
            box.onComplete = { [shared] transfer in shared.completed(transfer) }
            boxes.append(box)
        }
        shared.attach(boxes)
        continuation.onTermination = { [shared] _ in shared.cancelAll() }
        for box in boxes {
            do throws(USBError) {
                try submit(box)
            } catch {
                shared.submitFailed(error)
            }
        }
        return stream
    }

    /// Writes `data` to an OUT endpoint (bulk or interrupt) and returns the bytes sent.
    public func write(
        endpoint: UInt8, type: USBTransferType, data: [UInt8], timeoutMilliseconds: UInt32 = 1000
    ) async throws(USBError) -> Int {
        precondition(endpoint & 0x80 == 0, "write needs an OUT endpoint")
        let box = TransferBox(handle: self, length: data.count)
        box.buffer.update(from: data, count: data.count)
        box.fill(endpoint: endpoint, type: type, timeoutMilliseconds: timeoutMilliseconds)
        let done = try await runOnce(box, operation: "write \(data.count) bytes to endpoint \(hexByte(endpoint)) at \(id)")
        return done.count
    }

    /// A control transfer. For IN requests (`requestType` bit 7) returns up to `length` bytes
    /// read; for OUT requests sends `data` and returns it.
    public func control(
        requestType: UInt8, request: UInt8, value: UInt16, index: UInt16,
        data: [UInt8] = [], length: Int = 0, timeoutMilliseconds: UInt32 = 1000
    ) async throws(USBError) -> [UInt8] {
        let isInput = requestType & 0x80 != 0
        let dataLength = isInput ? length : data.count
        let box = TransferBox(handle: self, length: 8 + dataLength)
        libusb_fill_control_setup(box.buffer, requestType, request, value, index, UInt16(dataLength))
        if !isInput && !data.isEmpty { (box.buffer + 8).update(from: data, count: data.count) }
        box.fillControl(timeoutMilliseconds: timeoutMilliseconds)
        let operation = "control request \(hexByte(requestType))/\(hexByte(request)) at \(id)"
        let result = try await runOnce(box, operation: operation)
        return isInput ? result : data
    }

    private func runOnce(_ box: TransferBox, operation: String) async throws(USBError) -> [UInt8] {
        let result: Result<[UInt8], USBError> = await withCheckedContinuation { continuation in
            box.onComplete = { transfer in
                let status = transfer.pointee.status
                if status == LIBUSB_TRANSFER_COMPLETED {
                    let offset = transfer.pointee.type == UInt8(LIBUSB_TRANSFER_TYPE_CONTROL.rawValue) ? 8 : 0
                    let count = Int(transfer.pointee.actual_length)
                    continuation.resume(returning: .success(Array(UnsafeBufferPointer(start: transfer.pointee.buffer + offset, count: count))))
                } else {
                    continuation.resume(returning: .failure(USBError(code: transferStatusCode(status), operation: operation)))
                }
                return false
            }
            do throws(USBError) {
                try submit(box)
            } catch {
                continuation.resume(returning: .failure(USBError(code: error.code, operation: operation)))
            }
        }
        return try result.get()
    }

    /// Submits a transfer, registering it as in flight (which keeps this handle alive).
    func submit(_ box: TransferBox) throws(USBError) {
        let refused = state.withLock { state -> Bool in
            if state.closed { return true }
            state.inFlight[ObjectIdentifier(box)] = box
            return false
        }
        if refused { throw USBError(code: LIBUSB_ERROR_NO_DEVICE.rawValue, operation: "submit a transfer on a closed handle at \(id)") }
        let result = box.submit()
        if result != 0 {
            finished(box)
            throw USBError(code: result, operation: "submit a transfer at \(id)")
        }
    }

    /// Called when a transfer will not be resubmitted.
    func finished(_ box: TransferBox) {
        let waiters = state.withLock { state -> [CheckedContinuation<Void, Never>] in
            state.inFlight.removeValue(forKey: ObjectIdentifier(box))
            guard state.inFlight.isEmpty else { return [] }
            defer { state.drainWaiters = [] }
            return state.drainWaiters
        }
        for waiter in waiters { waiter.resume() }
    }

    /// Number of transfers libusb still owns.
    public var transfersInFlight: Int { state.withLock { $0.inFlight.count } }

    /// Cancels every transfer, waits until libusb has given them all back, releases the claimed
    /// interfaces (re-attaching kernel drivers) and closes the handle. Idempotent.
    public func close() async {
        let boxes = state.withLock { state -> [TransferBox]? in
            if state.closed { return nil }
            state.closed = true
            return Array(state.inFlight.values)
        }
        guard let boxes else { return }
        for box in boxes { box.cancel() }
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let empty = state.withLock { state -> Bool in
                if state.inFlight.isEmpty { return true }
                state.drainWaiters.append(continuation)
                return false
            }
            if empty { continuation.resume() }
        }
        releaseAll(state.withLock { state in
            defer { state.claimed = [:] }
            return state.claimed
        })
        libusb_close(raw)
    }

    /// Releases every interface first and only then re-attaches kernel drivers, in interface
    /// order. A driver that binds several interfaces (cdc_acm takes the data interface with the
    /// control one) fails with EBUSY if it is re-attached while a sibling is still claimed.
    private func releaseAll(_ claimed: [UInt8: Bool]) {
        let interfaces = claimed.keys.sorted()
        for interface in interfaces { _ = libusb_release_interface(raw, Int32(interface)) }
        for interface in interfaces where claimed[interface] == true {
            _ = libusb_attach_kernel_driver(raw, Int32(interface))
        }
    }

    deinit {
        // Reached only with no transfer in flight (each retains the handle). A handle dropped
        // without close() still gives its interfaces back.
        let (closed, claimed) = state.withLock { ($0.closed, $0.claimed) }
        if !closed {
            releaseAll(claimed)
            libusb_close(raw)
        }
    }
}

/// One chunk of input from an endpoint.
/// How many inputs an ``USBDeviceHandle/inputStream(endpoint:type:length:transfersInFlight:tally:)`` has
/// put into its stream so far (on libusb's event thread, before each is handed over).
public final class USBInputTally: Sendable {
    private let count = Atomic<Int>(0)

    public init() {}

    /// Inputs put into the stream so far.
    public var delivered: Int { count.load(ordering: .acquiring) }

    func add() { count.add(1, ordering: .releasing) }
}

public struct USBInput: Sendable, Equatable {
    public let bytes: [UInt8]
    /// `MonotonicClock.now()` when the transfer's completion reached the agent.
    public let completedAt: UInt64
    public init(bytes: [UInt8], completedAt: UInt64) {
        self.bytes = bytes
        self.completedAt = completedAt
    }
}

func hexByte(_ value: UInt8) -> String {
    let digits = String(value, radix: 16)
    return "0x" + (digits.count < 2 ? "0" + digits : digits)
}

/// The libusb error code that stands for a transfer status.
func transferStatusCode(_ status: libusb_transfer_status) -> Int32 {
    switch status {
    case LIBUSB_TRANSFER_NO_DEVICE: return LIBUSB_ERROR_NO_DEVICE.rawValue
    case LIBUSB_TRANSFER_TIMED_OUT: return LIBUSB_ERROR_TIMEOUT.rawValue
    case LIBUSB_TRANSFER_STALL: return LIBUSB_ERROR_PIPE.rawValue
    case LIBUSB_TRANSFER_OVERFLOW: return LIBUSB_ERROR_OVERFLOW.rawValue
    case LIBUSB_TRANSFER_CANCELLED: return USBError.cancelled.code
    default: return LIBUSB_ERROR_IO.rawValue
    }
}
