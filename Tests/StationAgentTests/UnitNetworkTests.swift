import HumanWords
import Foundation
import StationAgent
import StationTestSupport
import Testing

/// The shipped unit lets the agent make no IP connection; the upload drop-in gives exactly that back, and `doctor`
/// tells the two apart by reading them as systemd does (issue #12, #16).
@Suite("The unit's network for the uploader")
struct UnitNetworkTests {
    static let deploy = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("deploy").path

    @Test("shipped unit: no IP (doctor FAILs with the drop-in's command); with the drop-in: PASS; no unit: no line")
    func shippedAndDropIn() throws {
        let unit = Self.deploy + "/station-agent.service"
        let shipped = try #require(Doctor.unitNetwork(unitPaths: [unit], dropInDirectories: []))
        #expect(shipped.status == .fail)
        #expect(shipped.message.description.contains("RestrictAddressFamilies"), "\(shipped.message)")
        #expect(shipped.fix.description.contains("upload-network.conf"))

        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        try FileManager.default.copyItem(atPath: Self.deploy + "/upload-network.conf", toPath: directory.path + "/upload-network.conf")
        let withDropIn = try #require(Doctor.unitNetwork(unitPaths: [unit], dropInDirectories: [directory.path]))
        #expect(withDropIn.status == .pass, "\(withDropIn.message)")
        #expect(Doctor.unitNetwork(unitPaths: [directory.path + "/none.service"], dropInDirectories: []) == nil)
    }

    @Test("the shipped unit has no network namespace of its own: udev's hotplug events must reach the agent")
    func noPrivateNetwork() throws {
        let text = try String(contentsOfFile: Self.deploy + "/station-agent.service", encoding: .utf8)
        #expect(!text.split(separator: "\n").contains { $0.hasPrefix("PrivateNetwork=yes") })
    }
}

/// The shipped unit lets the agent open USB nodes only; the voice drop-in gives it the sound card (SPEC §6), and
/// `doctor` tells the two apart by reading them as systemd does.
@Suite("The unit's sound card for the voice")
struct UnitSoundTests {
    @Test("shipped unit: no sound card (doctor WARNs with the drop-in's command); with the drop-in: PASS; no unit: no line")
    func shippedAndDropIn() throws {
        let unit = UnitNetworkTests.deploy + "/station-agent.service"
        let shipped = try #require(Doctor.unitSound(unitPaths: [unit], dropInDirectories: []))
        #expect(shipped.status == .warn)
        #expect(shipped.message.description.contains("no DeviceAllow=char-alsa, no group audio"), "\(shipped.message)")
        #expect(shipped.fix.description.contains("voice-sound.conf"))

        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        try FileManager.default.copyItem(atPath: UnitNetworkTests.deploy + "/voice-sound.conf", toPath: directory.path + "/voice-sound.conf")
        let withDropIn = try #require(Doctor.unitSound(unitPaths: [unit], dropInDirectories: [directory.path]))
        #expect(withDropIn.status == .pass, "\(withDropIn.message)")
        // A later drop-in that empties the list takes it away again.
        try "[Service]\nDeviceAllow=\nDeviceAllow=char-usb_device rw\n".write(toFile: directory.path + "/zz-reset.conf", atomically: true, encoding: .utf8)
        let reset = try #require(Doctor.unitSound(unitPaths: [unit], dropInDirectories: [directory.path]))
        #expect(reset.status == .warn && reset.message.description.contains("no DeviceAllow=char-alsa)"), "\(reset.message)")
        #expect(Doctor.unitSound(unitPaths: [directory.path + "/none.service"], dropInDirectories: []) == nil)
    }
}
