import Logging
import ScannerProtocols
import ScannerReaders
import Testing
import USBEmulator
import USBTransport

/// One emulated device, a libusb context over it, and a reader on it.
struct Bench {
    let testbed: USBTestbed
    let device: EmulatedUSBDevice
    let context: USBContext
    let info: USBDeviceInfo
    let reader: ScannerReader
}

enum Fixture {
    case keyboard, hidPOS, cdcACM, ftdi

    var file: String {
        switch self {
        case .keyboard: "keyboard-scanner.umockdev"
        case .hidPOS: "hidpos-scanner.umockdev"
        case .cdcACM: "cdcacm-scanner.umockdev"
        case .ftdi: "ftdi-adapter.umockdev"
        }
    }

    var port: String {
        switch self {
        case .keyboard: "1-1.2"
        case .hidPOS: "1-2"
        case .cdcACM: "1-3"
        case .ftdi: "1-4"
        }
    }

    /// The IN endpoint scans arrive on (0x81 on every fixture).
    var inEndpoint: UInt8 { 0x81 }
}

/// Plugs `fixture`, lets `prepare` set the device up (stalls, reports queued before the reader starts),
/// opens a reader with the match `ProtocolSelection` gives (`adjust` may change it), runs `body`, and
/// closes everything whatever `body` did.
func withReader<T>(
    _ fixture: Fixture, configured: ScannerProtocol? = nil, options: ScannerReaderOptions = ScannerReaderOptions(),
    hooks: ScannerReaderHooks = ScannerReaderHooks(), logger: Logger = Logger(label: "station-agent.scanner"),
    adjustInfo: (USBDeviceInfo) -> USBDeviceInfo = { $0 },
    adjust: (ProtocolMatch) -> ProtocolMatch = { $0 },
    prepare: (EmulatedUSBDevice) -> Void = { _ in },
    _ body: (Bench) async throws -> T
) async throws -> T {
    try await TestbedLock.withTestbed { testbed in
        try testbed.add(fixture: fixturePath("roothub.umockdev"))
        let device = try EmulatedUSBDevice(fixture: fixturePath(fixture.file))
        try testbed.plug(device)
        let context = try USBContext()
        defer { context.shutdown() }
        let info = adjustInfo(try #require(context.devices().first { $0.port == fixture.port }, "device at \(fixture.port)"))
        let match = try #require(
            ProtocolSelection.match(for: info, configured: configured, policy: .configured), "a match for \(info.vidPid)")
        prepare(device)
        let reader = try await ScannerReader.open(
            context: context, device: info, match: adjust(match), name: "desk-scanner", options: options, hooks: hooks,
            logger: logger)
        let result: Result<T, any Error>
        do {
            result = .success(try await body(Bench(testbed: testbed, device: device, context: context, info: info, reader: reader)))
        } catch {
            result = .failure(error)
        }
        try await withTimeout(5, "the reader to close") { await reader.close() }
        return try result.get()
    }
}

/// The next `count` scans, waiting at most `seconds`.
func collect(_ reader: ScannerReader, _ count: Int, within seconds: Double = 10) async throws -> [Scan] {
    try await withTimeout(seconds, "\(count) scans") {
        var scans: [Scan] = []
        if count == 0 { return scans }
        for await scan in reader.scans {
            scans.append(scan)
            if scans.count == count { break }
        }
        return scans
    }
}

/// Every scan left once the reader has ended (the stream finishes then).
func remaining(_ reader: ScannerReader, within seconds: Double = 5) async throws -> [Scan] {
    try await withTimeout(seconds, "the scan stream to end") {
        var scans: [Scan] = []
        for await scan in reader.scans { scans.append(scan) }
        return scans
    }
}

func ascii(_ text: String) -> [UInt8] { Array(text.utf8) }

/// Tracking numbers of several carriers (SPEC notes), cycled to make long runs of distinct codes.
let sampleCodes = [
    "SF1122334455667", "YT6900634716900", "78636098066239", "JT0006968326954", "JDVA00012345678",
    "DPK364112047425", "EA123456785CN", "773194917396313", "5301156237108", "9889510569807",
]

/// `count` distinct codes: carrier-like, each with its index so a merge or a loss shows.
func distinctCodes(_ count: Int) -> [String] {
    (0..<count).map { index in
        let base = sampleCodes[index % sampleCodes.count]
        let suffix = String(index)
        return String(base.dropLast(suffix.count)) + suffix
    }
}

extension EmulatedUSBDevice.ControlRequest {
    /// (bmRequestType, bRequest, wValue, wIndex): what the setup checks compare.
    var setup: [Int] { [Int(requestType), Int(request), Int(value), Int(index)] }
}
