import Testing
import USBTransport

/// Issue #10.12: an error line in the log says what failed and what to do; it never sends the reader to "the log".
@Suite("USB errors in words")
struct ErrorWordsTests {
    @Test("every libusb error names a fix, none says 'see the log'", arguments: Array(-99 ... -1))
    func advice(code: Int32) {
        let error = USBError(code: code, operation: "claim interface 0")
        #expect(!error.description.contains("see the log"), "\(error)")
        #expect(error.description.hasPrefix("claim interface 0 failed: "))
        #expect(!error.advice.isEmpty)
    }
}
