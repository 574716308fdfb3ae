/// Serial line settings for `cdc-acm` and `ftdi` scanners. Data format is always 8N1, which every serial
/// scanner ships with; only the rate varies between models.
public struct SerialLineSettings: Sendable, Hashable {
    /// Bits per second. 115200 is the common default of current scanners (older ones: 9600).
    public var baudRate: Int

    public init(baudRate: Int = 115_200) {
        self.baudRate = baudRate
    }

    /// The 7-byte CDC `SET_LINE_CODING` payload: dwDTERate (little-endian), bCharFormat 0 (1 stop bit),
    /// bParityType 0 (none), bDataBits 8.
    public var cdcLineCoding: [UInt8] {
        let rate = UInt32(clamping: baudRate)
        return [
            UInt8(truncatingIfNeeded: rate), UInt8(truncatingIfNeeded: rate >> 8),
            UInt8(truncatingIfNeeded: rate >> 16), UInt8(truncatingIfNeeded: rate >> 24), 0, 0, 8,
        ]
    }
}

/// How a reader sets its device up and decodes: the defaults are SPEC §4's; tests and configuration
/// change them.
public struct ScannerReaderOptions: Sendable, Hashable {
    /// Serial line settings for `cdc-acm` and `ftdi`.
    public var serialLine: SerialLineSettings
    /// FTDI latency timer (ms): how long the chip holds a partly filled packet. 16 is the chip's default;
    /// lower makes scans arrive sooner but wakes the agent every period with a status-only packet.
    public var ftdiLatencyTimer: UInt8
    /// Silence that ends a keyboard-wedge code without Enter/Tab (SPEC §4: 100 ms).
    public var keyboardSilenceTimeout: Duration
    /// Silence that ends a serial code without CR/LF, or nil to wait for the line end (the default: a
    /// serial scanner is configured with a suffix).
    public var serialSilenceTimeout: Duration?
    /// Longest code kept, the same for every protocol (512); longer input is dropped and counted as an
    /// error (`code-too-long`).
    public var maxCodeLength: Int
    /// Scans a reader holds for a consumer that has fallen behind; further scans are dropped, counted
    /// (``ScannerReader/droppedScans``) and logged as not recorded.
    public var scanBufferCapacity: Int
    /// IN transfers kept queued, so no report waits for a resubmission at 1 ms polling.
    public var transfersInFlight: Int

    public init(
        serialLine: SerialLineSettings = SerialLineSettings(), ftdiLatencyTimer: UInt8 = 16,
        keyboardSilenceTimeout: Duration = .milliseconds(100), serialSilenceTimeout: Duration? = nil,
        maxCodeLength: Int = 512, transfersInFlight: Int = 4, scanBufferCapacity: Int = 1024
    ) {
        self.scanBufferCapacity = max(1, scanBufferCapacity)
        self.serialLine = serialLine
        self.ftdiLatencyTimer = ftdiLatencyTimer
        self.keyboardSilenceTimeout = keyboardSilenceTimeout
        self.serialSilenceTimeout = serialSilenceTimeout
        self.maxCodeLength = maxCodeLength
        self.transfersInFlight = transfersInFlight
    }
}

extension Duration {
    /// Whole nanoseconds, as the decoders count time (negative durations count as 0).
    var nanoseconds: UInt64 {
        let (seconds, attoseconds) = components
        guard seconds >= 0, attoseconds >= 0 else { return 0 }
        return UInt64(seconds) &* 1_000_000_000 &+ UInt64(attoseconds / 1_000_000_000)
    }
}
