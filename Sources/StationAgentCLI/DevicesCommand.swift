import HumanWords
import SystemSupport
import ArgumentParser
import FoundationEssentials
import ParcelRules
import ScannerProtocols
import StationAgent
import StationConfig
import USBTransport

/// `station-agent devices [--json]`: every USB device libusb sees and what the agent makes of it.
struct DevicesCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "devices",
        abstract: "List every USB device and what the agent makes of it.")

    @OptionGroup var global: GlobalOptions

    @Flag(help: "One JSON document on stdout.")
    var json = false

    func run() async throws {
        let configuration = try global.loadConfiguration()
        let context: USBContext
        do {
            context = try USBContext()
        } catch {
            throw CLIError.runtime("\(error)")
        }
        defer { context.shutdown() }
        let reports = context.devices().map { DeviceReport(info: $0, configuration: configuration) }
        if json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
            let data = try encoder.encode(reports.map(DeviceJSON.init))
            print(String(decoding: data, as: UTF8.self))
        } else {
            print(Self.table(reports, language: RunLanguage.current))
        }
        if !USBContext.hasUSBDeviceFileSystem {
            writeStandardError(Words("note: this machine has no /dev/bus/usb: no USB host controller is visible here (a container without the host's /dev/bus/usb, or no USB driver loaded)").text(RunLanguage.current) + "\n")
        }
    }

    /// The device table; its headers, roles and access in `language` (the codes stay as `--json` has them).
    static func table(_ reports: [DeviceReport], language: HumanLanguage = .en) -> String {
        let headers: [Words] = [
            Words("PORT"), Words("BUS:ADDR"), Words("ID"), Words("DEVICE"), Words("SERIAL"), Words("MATCHED"), Words("PROTOCOL"),
            Words("ROLE"), Words("ACCESS"),
        ]
        let roles: [String: Words] = ["inbound": Words("inbound"), "outbound": Words("outbound"), "switchable": Words("switchable")]
        let access: [String: Words] = [
            "ok": Words("usable"), "busy": Words("busy"), "no-permission": Words("no permission"), "driver-bound": Words("driver bound"),
        ]
        func said(_ code: String?, _ names: [String: Words]) -> String {
            guard let code else { return "-" }
            return language.show(code: code, named: names[code])
        }
        var rows = [headers.map { $0.text(language) }]
        for report in reports {
            let info = report.info
            let name = [info.manufacturer, info.product].compactMap { $0 }.joined(separator: " ")
            rows.append([
                info.port, "\(info.id.bus):\(info.id.address)", info.vidPid, name.isEmpty ? "-" : name,
                info.serial ?? "-", report.matched ?? "-", report.protocolName ?? "-",
                said(report.role?.rawValue, roles), said(report.access.rawValue, access),
            ])
        }
        if reports.isEmpty { return Words("No USB devices found.").text(language) }
        var text = TextTable.render(rows)
        // A camera's formats, as `frame` writes them: too long for a column.
        for report in reports {
            let modes = report.videoFormats.flatMap(\.modes)
            guard !modes.isEmpty else { continue }
            text += "\n" + Words("camera at \(report.info.port) offers: \(modes.joined(separator: "; "))").text(language)
        }
        return text
    }
}

/// One element of `devices --json`, with SPEC §2's fields (null where unknown).
struct DeviceJSON: Encodable {
    let report: DeviceReport

    enum Key: String, CodingKey {
        case bus, address, port, vendorID = "vendor_id", productID = "product_id", manufacturer, product, serial
        case matched, profile, `protocol`, role, access, kernelDrivers = "kernel_drivers", formats
    }

    func encode(to encoder: any Encoder) throws {
        let info = report.info
        var container = encoder.container(keyedBy: Key.self)
        try container.encode(info.id.bus, forKey: .bus)
        try container.encode(info.id.address, forKey: .address)
        try container.encode(info.port, forKey: .port)
        try container.encode(hex4(info.vendorID), forKey: .vendorID)
        try container.encode(hex4(info.productID), forKey: .productID)
        // Optionals are encoded explicitly so unknown values appear as null, as SPEC §2 says.
        try container.encode(info.manufacturer, forKey: .manufacturer)
        try container.encode(info.product, forKey: .product)
        try container.encode(info.serial, forKey: .serial)
        try container.encode(report.matched, forKey: .matched)
        try container.encode(report.profile, forKey: .profile)
        try container.encode(report.protocolName, forKey: .protocol)
        try container.encode(report.role?.rawValue, forKey: .role)
        try container.encode(report.access.rawValue, forKey: .access)
        try container.encode(info.interfaces.compactMap(\.kernelDriver).uniqued(), forKey: .kernelDrivers)
        // A camera's modes (`MJPEG 640x480@30,15,5`), null for a device without a video streaming interface.
        let modes = report.videoFormats.flatMap(\.modes)
        try container.encode(modes.isEmpty ? nil : modes, forKey: .formats)
    }
}

extension Array where Element: Hashable {
    func uniqued() -> [Element] {
        var seen = Set<Element>()
        return filter { seen.insert($0).inserted }
    }
}
