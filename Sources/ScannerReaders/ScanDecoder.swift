import ScannerProtocols

/// The decoder of one reader, whichever protocol it speaks, behind the three calls the reader makes.
enum ScanDecoder: Sendable {
    case keyboard(BootKeyboardDecoder)
    case hidPOS(HIDPOSDecoder)
    case serial(LineFramer)
    case ftdi(FTDIDecoder)

    init(_ scannerProtocol: ScannerProtocol, layout: HIDPOSLayout, maxPacketSize: Int, options: ScannerReaderOptions) {
        let framer = LineFramer(
            maxCodeLength: options.maxCodeLength, silenceTimeout: options.serialSilenceTimeout?.nanoseconds)
        switch scannerProtocol {
        case .hidKeyboard:
            self = .keyboard(
                BootKeyboardDecoder(
                    silenceTimeout: options.keyboardSilenceTimeout.nanoseconds, maxCodeLength: options.maxCodeLength))
        case .hidPOS:
            self = .hidPOS(HIDPOSDecoder(layout: layout, maxCodeLength: max(options.maxCodeLength, 1)))
        case .cdcACM:
            self = .serial(framer)
        case .ftdi:
            self = .ftdi(FTDIDecoder(maxPacketSize: maxPacketSize, framer: framer))
        }
    }

    /// Decodes one completed IN transfer.
    mutating func feed(_ bytes: [UInt8], at time: UInt64) -> DecoderOutput {
        switch self {
        case .keyboard(var decoder):
            defer { self = .keyboard(decoder) }
            return decoder.feed(report: bytes, at: time)
        case .hidPOS(var decoder):
            defer { self = .hidPOS(decoder) }
            return decoder.feed(report: bytes, at: time)
        case .serial(var framer):
            defer { self = .serial(framer) }
            return framer.feed(bytes, at: time)
        case .ftdi(var decoder):
            defer { self = .ftdi(decoder) }
            return decoder.feed(transfer: bytes, at: time)
        }
    }

    /// Ends what silence has ended by `now`.
    mutating func flush(now: UInt64) -> DecoderOutput {
        switch self {
        case .keyboard(var decoder):
            defer { self = .keyboard(decoder) }
            return decoder.flush(now: now)
        case .hidPOS(var decoder):
            defer { self = .hidPOS(decoder) }
            return decoder.flush(now: now)
        case .serial(var framer):
            defer { self = .serial(framer) }
            return framer.flush(now: now)
        case .ftdi(var decoder):
            defer { self = .ftdi(decoder) }
            return decoder.flush(now: now)
        }
    }

    /// How long after the latest input a flush may complete something, or nil when nothing waits for
    /// silence (so the timer sleeps until the next input instead of waking for nothing).
    ///
    /// HID POS does not say whether a continued code is open, so its timer is armed after every report;
    /// that is one wake-up per second at most, after the last report.
    var flushDelay: UInt64? {
        switch self {
        case .keyboard(let decoder):
            decoder.waitsForSilence ? decoder.silenceTimeout : nil
        case .hidPOS(let decoder):
            decoder.continuationTimeout
        case .serial(let framer):
            framer.hasPendingCode ? framer.silenceTimeout : nil
        case .ftdi(let decoder):
            decoder.framer.hasPendingCode ? decoder.framer.silenceTimeout : nil
        }
    }

    /// True when part of a code is held (unknown for HID POS, reported as false).
    var hasPendingCode: Bool {
        switch self {
        case .keyboard(let decoder): decoder.hasPendingCode
        case .hidPOS: false
        case .serial(let framer): framer.hasPendingCode
        case .ftdi(let decoder): decoder.framer.hasPendingCode
        }
    }

    var counters: DecoderCounters {
        switch self {
        case .keyboard(let decoder): decoder.counters
        case .hidPOS(let decoder): decoder.counters
        case .serial(let framer): framer.counters
        case .ftdi(let decoder): decoder.counters
        }
    }
}
