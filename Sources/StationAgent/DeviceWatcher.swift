public import Logging
public import ServiceLifecycle
public import USBTransport
import ScannerProtocols

/// Watches USB arrivals and departures and says, in the log, what the agent makes of each device.
///
/// Starting needs no scanner and no USB at all: with no USB subsystem the service says so once
/// and waits for shutdown instead of failing the agent.
public struct DeviceWatcher: Service {
    let logger: Logger
    let onEvent: @Sendable (USBHotplugEvent, DeviceReport?) async -> Void

    public init(logger: Logger, onEvent: @escaping @Sendable (USBHotplugEvent, DeviceReport?) async -> Void = { _, _ in }) {
        self.logger = logger
        self.onEvent = onEvent
    }

    public func run() async throws {
        let context: USBContext
        do {
            context = try USBContext(logger: logger)
        } catch {
            logger.error("USB is not available, no scanner can be read: \(error)")
            try await gracefulShutdown()
            return
        }
        defer { context.shutdown() }
        if !USBContext.hasUSBDeviceFileSystem {
            logger.warning("no /dev/bus/usb on this machine yet: waiting for a USB device to appear")
        }
        let events: AsyncStream<USBHotplugEvent>
        do {
            events = try context.hotplugEvents(includeExisting: true)
        } catch {
            logger.error("cannot watch USB hotplug: \(error)")
            try await gracefulShutdown()
            return
        }
        var known: [USBDeviceID: DeviceReport] = [:]
        for await event in events.cancelOnGracefulShutdown() {
            switch event {
            case .arrived(let info):
                let report = DeviceCatalog.report(for: info)
                if known.updateValue(report, forKey: info.id) != nil { continue }
                if let matched = report.matched, let scannerProtocol = report.scannerProtocol {
                    logger.info(
                        "scanner \(info.vidPid) at port \(info.port) adopted as '\(matched)' (\(scannerProtocol.rawValue), \(report.access.rawValue))")
                } else {
                    logger.info("device \(info.vidPid) at port \(info.port) (\(info.product ?? "unnamed")) is not a scanner: left alone")
                }
                await onEvent(event, report)
            case .left(let id):
                let report = known.removeValue(forKey: id)
                logger.info("device at \(report?.info.port ?? id.description) left")
                await onEvent(event, report)
            }
        }
    }
}
