/// One USB control request as the transport sends it (`libusb_control_transfer` arguments minus data).
///
/// Kept as plain values so the request encoding is tested here, without a device.
public struct USBControlRequest: Sendable, Hashable {
    /// bmRequestType.
    public var requestType: UInt8
    /// bRequest.
    public var request: UInt8
    /// wValue.
    public var value: UInt16
    /// wIndex.
    public var index: UInt16

    public init(requestType: UInt8, request: UInt8, value: UInt16, index: UInt16) {
        self.requestType = requestType
        self.request = request
        self.value = value
        self.index = index
    }
}

/// Why an FTDI request could not be built.
public enum FTDIRequestError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The chip cannot run at this rate within 3 %, or the rate is outside 183…3,000,000 baud.
    case unsupportedBaudRate(Int)

    public var description: String {
        switch self {
        case .unsupportedBaudRate(let baud): "baud rate \(baud) is not supported by FT232R-class chips"
        }
    }
}

/// The FTDI vendor requests a reader sends before reading (reset, baud rate, 8N1, latency timer).
///
/// Values follow Linux `ftdi_sio` and libftdi for single-port chips (FT232R, FT232B/BM, FT-X), which is
/// what scanners and cable adapters use; `port` stays 0 for them (multi-port H-series chips name the
/// port 1-4 there and encode the baud rate index differently, which is not supported here).
public enum FTDIRequest {
    /// Vendor request, host to device, recipient device.
    public static let requestType: UInt8 = 0x40

    public static let resetRequest: UInt8 = 0
    public static let setModemControlRequest: UInt8 = 1
    public static let setFlowControlRequest: UInt8 = 2
    public static let setBaudRateRequest: UInt8 = 3
    public static let setDataRequest: UInt8 = 4
    public static let setLatencyTimerRequest: UInt8 = 9

    /// Resets the chip's UART ("reset SIO"); clears both FIFOs.
    public static func reset(port: UInt16 = 0) -> USBControlRequest {
        USBControlRequest(requestType: requestType, request: resetRequest, value: 0, index: port)
    }

    /// Drops bytes the chip received before the agent opened it (wValue 1 purges RX).
    public static func purgeReceiveBuffer(port: UInt16 = 0) -> USBControlRequest {
        USBControlRequest(requestType: requestType, request: resetRequest, value: 1, index: port)
    }

    /// 8 data bits, no parity, 1 stop bit, no break: what every serial scanner defaults to.
    public static func setDataCharacteristics8N1(port: UInt16 = 0) -> USBControlRequest {
        USBControlRequest(requestType: requestType, request: setDataRequest, value: 0x0008, index: port)
    }

    /// No hardware or software flow control: scanners do not use it and a floating CTS would stall reads.
    public static func disableFlowControl(port: UInt16 = 0) -> USBControlRequest {
        USBControlRequest(requestType: requestType, request: setFlowControlRequest, value: 0, index: port)
    }

    /// Raises DTR and RTS (bits 0/1 with their enable bits 8/9); some scanners only send while DTR is up.
    public static func setDTRAndRTS(port: UInt16 = 0) -> USBControlRequest {
        USBControlRequest(requestType: requestType, request: setModemControlRequest, value: 0x0303, index: port)
    }

    /// How long the chip holds a partly filled packet (1-255 ms; 16 by default). Lower makes scans arrive
    /// sooner; the chip then sends a status-only packet each period while idle.
    public static func setLatencyTimer(milliseconds: UInt8, port: UInt16 = 0) -> USBControlRequest {
        USBControlRequest(
            requestType: requestType, request: setLatencyTimerRequest, value: UInt16(max(milliseconds, 1)),
            index: port)
    }

    /// Sets the baud rate of an FT232R/FT232BM/FT-X chip.
    /// - Throws: ``FTDIRequestError/unsupportedBaudRate(_:)`` when the chip cannot get within 3 %.
    public static func setBaudRate(_ baud: Int, port: UInt16 = 0) throws(FTDIRequestError) -> USBControlRequest {
        let divisor = try baudRateDivisor(baud)
        return USBControlRequest(
            requestType: requestType, request: setBaudRateRequest, value: UInt16(divisor & 0xFFFF),
            index: UInt16(divisor >> 16) | port)
    }

    /// The 17-bit divisor encoding of `baud` for a 3 MHz baud clock: 14 bits of integer divisor and a
    /// 3-bit fraction in eighths, coded 0, 1/8→3… as the chip expects (9600 → 0x4138, 115200 → 0x001A).
    public static func baudRateDivisor(_ baud: Int) throws(FTDIRequestError) -> UInt32 {
        guard baud >= 183, baud <= 3_000_000 else { throw .unsupportedBaudRate(baud) }
        let fractionCode: [UInt32] = [0, 3, 2, 4, 1, 5, 6, 7]
        let eighths = (24_000_000 + baud / 2) / baud  // 3 MHz / baud, in eighths, rounded
        var divisor = UInt32(eighths >> 3) | fractionCode[eighths & 7] << 14
        if divisor == 1 {
            divisor = 0  // 3,000,000 baud
        } else if divisor == 0x4001 {
            divisor = 1  // 2,000,000 baud
        }
        let actual = 24_000_000 / max(eighths, 8)
        guard abs(actual - baud) * 100 <= baud * 3 else { throw .unsupportedBaudRate(baud) }
        return divisor
    }
}

/// Removes the two status bytes FTDI chips put at the start of every USB packet of a bulk IN transfer.
///
/// The status bytes head each max-packet-size packet (64 bytes at full speed), not each transfer: a
/// 130-byte transfer is packets of 64, 64 and 2 bytes, so 124 data bytes with status at 0, 64 and 128.
/// Every transfer starts on a packet boundary, so no state is kept between transfers. While idle the
/// chip sends status-only packets every latency period; they give no data.
public struct FTDIPacketStripper: Sendable {
    /// wMaxPacketSize of the bulk IN endpoint: 64 at full speed, 512 for high-speed chips.
    public var maxPacketSize: Int
    /// Line status bits that mean data was lost or damaged: overrun, parity, framing error, break.
    public static let lineErrorMask: UInt8 = 0x1E

    public init(maxPacketSize: Int = 64) {
        self.maxPacketSize = max(maxPacketSize, 3)
    }

    /// The data bytes of one bulk IN transfer, and errors for packets reporting line errors or too
    /// short to hold the status bytes.
    public func strip(_ transfer: some Collection<UInt8>) -> (data: [UInt8], errors: [DecodeError]) {
        let bytes = Array(transfer)
        var data: [UInt8] = []
        data.reserveCapacity(bytes.count)
        var errors: [DecodeError] = []
        var start = 0
        while start < bytes.count {
            let end = min(start + maxPacketSize, bytes.count)
            if end - start < 2 {
                errors.append(.malformedReport(length: end - start, expected: 2))
            } else {
                let lineStatus = bytes[start + 1]
                if lineStatus & Self.lineErrorMask != 0 {
                    errors.append(.serialLineError(status: lineStatus))
                }
                data.append(contentsOf: bytes[(start + 2)..<end])
            }
            start = end
        }
        return (data, errors)
    }
}

/// An FTDI serial scanner end to end: strips the status bytes of each transfer, then frames lines.
public struct FTDIDecoder: Sendable {
    /// Set from the bulk IN endpoint's wMaxPacketSize, which decides where status bytes sit.
    public var stripper: FTDIPacketStripper
    /// The line framer behind the stripper (its length bound and silence timeout apply).
    public private(set) var framer: LineFramer
    private var stripErrors = DecoderCounters()

    public init(maxPacketSize: Int = 64, framer: LineFramer = LineFramer()) {
        self.stripper = FTDIPacketStripper(maxPacketSize: maxPacketSize)
        self.framer = framer
    }

    /// Totals of both stages.
    public var counters: DecoderCounters {
        var total = framer.counters
        for (kind, count) in stripErrors.errorsByKind {
            total.errorsByKind[kind, default: 0] += count
        }
        return total
    }

    /// Decodes one bulk IN transfer received at monotonic time `time` (nanoseconds).
    public mutating func feed(transfer: some Collection<UInt8>, at time: UInt64) -> DecoderOutput {
        let (data, errors) = stripper.strip(transfer)
        var output = DecoderOutput()
        for error in errors {
            stripErrors.fail(error, into: &output)
        }
        // Status-only packets carry no data and must not keep a silence timeout from expiring.
        output.append(data.isEmpty ? framer.flush(now: time) : framer.feed(data, at: time))
        return output
    }

    /// See ``LineFramer/flush(now:)``.
    public mutating func flush(now: UInt64) -> DecoderOutput {
        framer.flush(now: now)
    }
}
