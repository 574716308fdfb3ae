import SystemSupport
import ScannerProtocols
public import StationConfig
import USBTransport

/// udev rules that let the unprivileged `station-agent` user open the scanners, and keep
/// ModemManager from probing serial scanners with AT commands.
///
/// Device nodes go to group `station-agent` with mode 0660: never world-writable, and no other
/// device on the box changes hands.
public enum UdevRules {
    public static let group = "station-agent"
    public static let fileName = "70-station-agent.rules"

    /// Rules for the built-in scanner vendors (the file installed with the package).
    public static func builtIn() -> String {
        var lines = header("the scanner makers station-agent adopts without configuration (SPEC §3)")
        for profile in BuiltInProfiles.all {
            lines.append("# \(profile.manufacturer)")
            for vendor in profile.vendorIDs {
                lines.append(rule(matches: ["ATTR{idVendor}==\"\(hex4(vendor))\""], serialMatches: ["ATTRS{idVendor}==\"\(hex4(vendor))\""]))
            }
        }
        lines += footer()
        return lines.joined(separator: "\n") + "\n"
    }

    /// Rules for the configured devices, matching exactly what each `[[devices]]` entry matches
    /// (vendor, product, serial, port); the built-in vendors when none is configured.
    ///
    /// An entry gets a rule only when it names its `vendor_id`: a port-only (or serial-only, product-only) entry
    /// would hand whatever is plugged into that port, a keyboard included, to the agent's group. Such an entry gets
    /// a comment in the file and a warning through `warn`, and no rule (the agent still matches it when it runs as
    /// root or its node is accessible otherwise). A `serial` with characters a udev match cannot carry literally
    /// (control characters, quotes, backslashes, the glob characters `*?[]|`, which would widen the match) is
    /// refused the same way.
    public static func forConfiguration(_ configuration: StationConfiguration, warn: (String) -> Void = { _ in }) -> String {
        guard !configuration.devices.isEmpty else { return builtIn() }
        var lines = header("the devices configured in \(configuration.source ?? "the configuration")")
        for device in configuration.devices {
            if let problem = refusal(device) {
                lines.append("# \(device.name): no rule: \(problem)")
                warn("udev-rules: no rule for device '\(device.name)': \(problem)")
                continue
            }
            var matches: [String] = []
            var serialMatches: [String] = []
            if let vendor = device.vendorID {
                matches.append("ATTR{idVendor}==\"\(hex4(vendor))\"")
                serialMatches.append("ATTRS{idVendor}==\"\(hex4(vendor))\"")
            }
            if let product = device.productID {
                matches.append("ATTR{idProduct}==\"\(hex4(product))\"")
                serialMatches.append("ATTRS{idProduct}==\"\(hex4(product))\"")
            }
            if let serial = device.serial {
                matches.append("ATTR{serial}==\"\(escape(serial))\"")
                serialMatches.append("ATTRS{serial}==\"\(escape(serial))\"")
            }
            if let port = device.port {
                matches.append("KERNEL==\"\(port)\"")
                serialMatches.append("KERNELS==\"\(port)\"")
            }
            lines.append("# \(device.name)")
            lines.append(rule(matches: matches, serialMatches: serialMatches))
        }
        lines += footer()
        return lines.joined(separator: "\n") + "\n"
    }

    /// Why an entry gets no rule, or nil.
    static func refusal(_ device: DeviceConfiguration) -> String? {
        guard device.vendorID != nil else {
            return "it gives no vendor_id, so a rule would give any device matching only \(device.port.map { "port \($0)" } ?? "its other keys") (a keyboard too) to group \(group); add vendor_id (and product_id) from `station-agent devices`"
        }
        if let serial = device.serial, !serial.unicodeScalars.allSatisfy(isLiteralInRule) {
            return "its serial has characters a udev rule cannot match literally (control characters, quotes, backslashes or *?[]|): give vendor_id/product_id and port instead of serial"
        }
        return nil
    }

    private static func isLiteralInRule(_ scalar: Unicode.Scalar) -> Bool {
        (0x21...0x7E).contains(scalar.value) && !"\"\\*?[]|".unicodeScalars.contains(scalar) || scalar == " "
    }

    private static func rule(matches: [String], serialMatches: [String]) -> String {
        let device = (["SUBSYSTEM==\"usb\"", "ENV{DEVTYPE}==\"usb_device\""] + matches).joined(separator: ", ")
        let serial = serialMatches.joined(separator: ", ")
        return "\(device), GROUP=\"\(group)\", MODE=\"0660\"\n\(serial), ENV{ID_MM_DEVICE_IGNORE}=\"1\""
    }

    private static func header(_ what: String) -> [String] {
        [
            "# station-agent: let the 'station-agent' group read \(what).",
            "# USB device nodes go to group station-agent, mode 0660 (never world-writable);",
            "# ModemManager is told to leave them alone (it would probe serial scanners with AT commands).",
            "# Install as /etc/udev/rules.d/\(fileName), then: udevadm control --reload && udevadm trigger --subsystem-match=usb",
            "ACTION==\"remove\", GOTO=\"station_agent_end\"",
            "",
        ]
    }

    private static func footer() -> [String] { ["", "LABEL=\"station_agent_end\""] }

    private static func escape(_ text: String) -> String {
        text.replacingAll("\\", with: "\\\\").replacingAll("\"", with: "\\\"")
    }
}

extension String {
    func replacingAll(_ target: Character, with replacement: String) -> String {
        var result = ""
        for character in self { if character == target { result += replacement } else { result.append(character) } }
        return result
    }
}
