/// Cuts the byte stream of a serial scanner (`cdc-acm`, and `ftdi` after ``FTDIPacketStripper``) into codes.
///
/// USB bulk transfers split the stream anywhere, so state carries over between calls: a code split
/// across transfers is joined, several codes in one transfer are each returned, and a CRLF whose CR
/// and LF arrive in different transfers still ends exactly one code (a line end right after another is
/// an empty line, and empty lines are ignored). A code longer than ``maxCodeLength`` is dropped, with
/// the rest of its line, so a scanner that never sends a terminator cannot grow memory.
public struct LineFramer: Sendable {
    /// Longest code kept (bytes, terminator excluded).
    public var maxCodeLength: Int
    /// Nanoseconds of silence after which a pending code ends without terminator, or nil to wait for
    /// CR/LF forever (scanners configured without suffix need a timeout).
    public var silenceTimeout: UInt64?
    /// Totals since the framer was created.
    public private(set) var counters = DecoderCounters()

    private var pending: [UInt8] = []
    private var dropping = false
    private var lastByteTime: UInt64 = 0

    /// - Parameters:
    ///   - maxCodeLength: 512 bytes by default, far above any tracking number or 2-D code a parcel carries.
    ///   - silenceTimeout: nil (off) by default.
    public init(maxCodeLength: Int = 512, silenceTimeout: UInt64? = nil) {
        self.maxCodeLength = maxCodeLength
        self.silenceTimeout = silenceTimeout
    }

    /// True while bytes of an unfinished code are held.
    public var hasPendingCode: Bool { !pending.isEmpty || dropping }

    /// Consumes one chunk of the stream received at monotonic time `time` (nanoseconds).
    public mutating func feed(_ bytes: some Sequence<UInt8>, at time: UInt64) -> DecoderOutput {
        var output = flush(now: time)
        var sawData = false
        for byte in bytes {
            sawData = true
            if byte == 0x0D || byte == 0x0A {
                finish(.lineEnd, at: time, into: &output)
                continue
            }
            if dropping { continue }
            if pending.count >= maxCodeLength {
                counters.fail(.codeTooLong(limit: maxCodeLength), into: &output)
                pending.removeAll(keepingCapacity: true)
                dropping = true
                continue
            }
            pending.append(byte)
        }
        if sawData { lastByteTime = time }
        return output
    }

    /// Completes the pending code if ``silenceTimeout`` is set and has passed since the last byte.
    public mutating func flush(now: UInt64) -> DecoderOutput {
        var output = DecoderOutput()
        if let silenceTimeout, hasPendingCode, now >= lastByteTime, now - lastByteTime >= silenceTimeout {
            finish(.timeout, at: lastByteTime, into: &output)
        }
        return output
    }

    private mutating func finish(_ terminator: CodeTerminator, at time: UInt64, into output: inout DecoderOutput) {
        if !dropping, !pending.isEmpty {
            counters.emit(ScannedCode(raw: pending, completedAt: time, terminator: terminator), into: &output)
        }
        pending.removeAll(keepingCapacity: true)
        dropping = false
    }
}
