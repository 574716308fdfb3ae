import Testing
import USBEmulator
import USBTransport

/// Claims and transfers through real libusb against the in-process usbdevfs emulator.
@Suite("Transfers", .enabled(if: USBTestbed.isAvailable, "needs the umockdev preload: run `make test`"))
struct TransferTests {
    /// A test bed with the hubs and one live device, and a libusb context over it.
    static func withDevice<T>(
        _ fixture: String, _ body: (USBTestbed, EmulatedUSBDevice, USBContext) async throws -> T
    ) async throws -> T {
        try await TestbedLock.withTestbed { testbed in
            try testbed.add(fixture: fixturePath("roothub.umockdev"))
            let device = try EmulatedUSBDevice(fixture: fixturePath(fixture))
            try testbed.plug(device)
            let context = try USBContext()
            defer { context.shutdown() }
            return try await body(testbed, device, context)
        }
    }

    static func find(_ context: USBContext, port: String) throws -> USBDeviceInfo {
        try #require(context.devices().first { $0.port == port }, "device at \(port)")
    }

    @Test("claiming detaches the bound kernel driver and closing re-attaches it", .timeLimit(.minutes(1)))
    func claimWithBoundDriver() async throws {
        try await Self.withDevice("keyboard-scanner.umockdev") { _, device, context in
            let info = try Self.find(context, port: "1-1.2")
            #expect(info.access == .driverBound)
            let handle = try context.open(info.id)
            let result = try handle.claimInterface(0)
            #expect(result.detachedKernelDriver)
            #expect(device.events == ["detach 0", "claim 0"])
            #expect(device.kernelDriver(interface: 0) == "usbfs")
            #expect(try Self.find(context, port: "1-1.2").access == .busy, "sysfs shows the claim")

            await handle.close()
            #expect(device.events == ["detach 0", "claim 0", "release 0", "attach 0"])
            #expect(device.kernelDriver(interface: 0) == "usbhid", "the keyboard works as a keyboard again")
            #expect(try Self.find(context, port: "1-1.2").access == .driverBound)
        }
    }

    @Test("an interface another program holds is reported busy", .timeLimit(.minutes(1)))
    func busyInterface() async throws {
        try await Self.withDevice("ftdi-adapter.umockdev") { _, device, context in
            device.holdElsewhere(interface: 0)
            let info = try Self.find(context, port: "1-4")
            #expect(info.access == .busy)
            let handle = try context.open(info.id)
            #expect(throws: USBError.busy) { try handle.claimInterface(0) }
            await handle.close()
        }
    }

    @Test("interrupt transfers deliver every report, in order", .timeLimit(.minutes(1)))
    func interruptReports() async throws {
        try await Self.withDevice("keyboard-scanner.umockdev") { _, device, context in
            let handle = try context.open(try Self.find(context, port: "1-1.2").id)
            try handle.claimInterface(0)
            let stream = handle.inputStream(endpoint: 0x81, type: .interrupt, length: 8)
            // 'S' (Shift + s), release, 'F', release: the reports a keyboard-wedge scanner sends.
            let reports: [[UInt8]] = [
                [0x02, 0, 0x16, 0, 0, 0, 0, 0], [0, 0, 0, 0, 0, 0, 0, 0],
                [0x02, 0, 0x09, 0, 0, 0, 0, 0], [0, 0, 0, 0, 0, 0, 0, 0],
            ]
            let before = MonotonicClock.now()
            device.deliver(endpoint: 0x81, reports: reports)
            let received = try await withTimeout(5, "four reports") {
                var collected: [USBInput] = []
                for try await input in stream {
                    collected.append(input)
                    if collected.count == 4 { break }
                }
                return collected
            }
            #expect(received.map(\.bytes) == reports)
            #expect(received.allSatisfy { $0.completedAt >= before })
            #expect(zip(received, received.dropFirst()).allSatisfy { $0.completedAt <= $1.completedAt })
            await handle.close()
            #expect(handle.transfersInFlight == 0)
        }
    }

    @Test("bulk IN and OUT and control transfers on a CDC-ACM scanner", .timeLimit(.minutes(1)))
    func bulkTransfers() async throws {
        try await Self.withDevice("cdcacm-scanner.umockdev") { _, device, context in
            let handle = try context.open(try Self.find(context, port: "1-3").id)
            try handle.claimInterface(0)
            try handle.claimInterface(1)
            // cdc_acm holds both interfaces: detaching it from the control interface frees the data one.
            #expect(device.events == ["detach 0", "claim 0", "claim 1"])
            // SET_CONTROL_LINE_STATE: DTR and RTS on.
            _ = try await handle.control(requestType: 0x21, request: 0x22, value: 0x03, index: 0)
            #expect(device.controlRequests.last == .init(requestType: 0x21, request: 0x22, value: 3, index: 0, data: []))

            let stream = handle.inputStream(endpoint: 0x81, type: .bulk, length: 64)
            device.deliver(endpoint: 0x81, Array("SF1234".utf8), Array("567890\r\n".utf8))
            let chunks = try await withTimeout(5, "two bulk chunks") {
                var collected: [[UInt8]] = []
                for try await input in stream {
                    collected.append(input.bytes)
                    if collected.count == 2 { break }
                }
                return collected
            }
            #expect(chunks == [Array("SF1234".utf8), Array("567890\r\n".utf8)])

            let sent = try await handle.write(endpoint: 0x02, type: .bulk, data: Array("OK\r\n".utf8))
            #expect(sent == 4)
            #expect(device.written[0x02] == [Array("OK\r\n".utf8)])

            // A string descriptor, read through a control transfer.
            let product = try await handle.control(requestType: 0x80, request: 6, value: 0x0302, index: 0x0409, length: 255)
            #expect(product.count == 2 + 2 * "NLS-HR22 CDC".count)
            await handle.close()
            // Every interface is released before the driver comes back: re-attached while the data
            // interface was still claimed, cdc_acm's probe would fail (EBUSY) and leave no tty.
            #expect(device.events.suffix(3) == ["release 0", "release 1", "attach 0"], "\(device.events)")
            #expect(device.kernelDriver(interface: 0) == "cdc_acm" && device.kernelDriver(interface: 1) == "cdc_acm")
        }
    }

    @Test("closing cancels pending transfers and ends the stream cleanly", .timeLimit(.minutes(1)))
    func cancellationAtShutdown() async throws {
        try await Self.withDevice("keyboard-scanner.umockdev") { _, device, context in
            let handle = try context.open(try Self.find(context, port: "1-1.2").id)
            try handle.claimInterface(0)
            let stream = handle.inputStream(endpoint: 0x81, type: .interrupt, length: 8, transfersInFlight: 2)
            try await waitUntil(5, "two transfers pending at the device") { device.pendingInputTransfers == 2 }
            let reader = Task {
                var count = 0
                for try await _ in stream { count += 1 }
                return count
            }
            try await withTimeout(5, "close") { await handle.close() }
            let count = try await withTimeout(5, "the stream to end") { try await reader.value }
            #expect(count == 0)
            #expect(handle.transfersInFlight == 0)
            #expect(device.events.filter { $0 == "discard 0x81" }.count == 2)
            #expect(device.events.suffix(2) == ["release 0", "attach 0"])
        }
    }

    @Test("a consumer that stops reading cancels its transfers", .timeLimit(.minutes(1)))
    func consumerStops() async throws {
        try await Self.withDevice("keyboard-scanner.umockdev") { _, device, context in
            let handle = try context.open(try Self.find(context, port: "1-1.2").id)
            try handle.claimInterface(0)
            do {
                let stream = handle.inputStream(endpoint: 0x81, type: .interrupt, length: 8)
                device.deliver(endpoint: 0x81, [0, 0, 0x1e, 0, 0, 0, 0, 0])
                let first = try await withTimeout(5, "one report") {
                    for try await input in stream { return input.bytes }
                    return []
                }
                #expect(first == [0, 0, 0x1e, 0, 0, 0, 0, 0])
            }
            try await waitUntil(5, "transfers cancelled after the consumer left") { handle.transfersInFlight == 0 }
            await handle.close()
        }
    }

    @Test("unplugging ends a pending transfer with no-device; nothing hangs", .timeLimit(.minutes(1)))
    func unplugWhilePending() async throws {
        try await Self.withDevice("hidpos-scanner.umockdev") { testbed, device, context in
            let events = try context.hotplugEvents(includeExisting: false)
            let handle = try context.open(try Self.find(context, port: "1-2").id)
            try handle.claimInterface(0)
            let stream = handle.inputStream(endpoint: 0x81, type: .interrupt, length: 64)
            try await waitUntil(5, "transfers pending") { device.pendingInputTransfers == 2 }
            let reader = Task { () -> (any Error)? in
                do {
                    for try await _ in stream {}
                    return nil
                } catch {
                    return error
                }
            }
            testbed.unplug(device)
            let failure = try await withTimeout(5, "the stream to fail") { await reader.value }
            #expect((failure as? USBError)?.code == USBError.noDevice.code, "ended with \(String(describing: failure))")
            let left = try await withTimeout(5, "the hotplug departure") { () -> USBDeviceID? in
                for await event in events { if case .left(let id) = event { return id } }
                return nil
            }
            #expect(left == USBDeviceID(bus: 1, address: 3))
            try await withTimeout(5, "close after unplug") { await handle.close() }
            #expect(handle.transfersInFlight == 0)
            #expect(context.devices().allSatisfy { $0.port != "1-2" })
        }
    }

    /// The program gives a device back (release, kernel driver re-attached: the emulator rewrites
    /// the `driver` link on its ioctl thread) while the test unplugs it (the emulator removes the
    /// device's sysfs tree on the test's thread). umockdev ends the process on any file error in
    /// either, so the two must never interleave; this plays the race many times over.
    @Test("unplugging while the program gives the device back never races the emulator's sysfs", .timeLimit(.minutes(2)))
    func unplugRacesClose() async throws {
        try await TestbedLock.withTestbed { testbed in
            try testbed.add(fixture: fixturePath("roothub.umockdev"))
            let context = try USBContext()
            defer { context.shutdown() }
            for round in 0..<60 {
                let address = UInt8(10 + round)
                let device = try EmulatedUSBDevice(fixture: fixturePath("keyboard-scanner.umockdev"), address: address)
                try testbed.plug(device)
                let info = try await withTimeout(5, "the device at address \(address)") { () -> USBDeviceInfo in
                    while true {
                        if let info = context.devices().first(where: { $0.id.address == address }) { return info }
                        try await Task.sleep(for: .milliseconds(2))
                    }
                }
                let handle = try context.open(info.id)
                #expect(try handle.claimInterface(0).detachedKernelDriver)
                let closing = Task.detached { await handle.close() }
                if round % 3 != 0 { try await Task.sleep(for: .microseconds(50 * (round % 7))) }
                testbed.unplug(device, drainTimeoutMilliseconds: 0)
                try await withTimeout(5, "close during unplug") { await closing.value }
            }
        }
    }

    @Test("a device plugged in after start is reported by hotplug", .timeLimit(.minutes(1)))
    func hotplugArrival() async throws {
        try await TestbedLock.withTestbed { testbed in
            try testbed.add(fixture: fixturePath("roothub.umockdev"))
            let context = try USBContext()
            defer { context.shutdown() }
            let events = try context.hotplugEvents(includeExisting: false)
            let device = try EmulatedUSBDevice(fixture: fixturePath("cdcacm-scanner.umockdev"))
            try testbed.plug(device)
            let arrived = try await withTimeout(5, "the hotplug arrival") { () -> USBDeviceInfo? in
                for await event in events { if case .arrived(let info) = event { return info } }
                return nil
            }
            let info = try #require(arrived)
            #expect(info.vidPid == "1eab:1d06")
            #expect(info.port == "1-3")
            #expect(info.serial == "NL2206A0077")
            // And it can be used at once.
            let handle = try context.open(info.id)
            try handle.claimInterface(1)
            await handle.close()
        }
    }

    @Test("a second identical scanner on another port is a separate device", .timeLimit(.minutes(1)))
    func identicalScanners() async throws {
        try await Self.withDevice("keyboard-scanner.umockdev") { testbed, _, context in
            let twin = try EmulatedUSBDevice(fixture: fixturePath("keyboard-scanner.umockdev"), port: "1-1.4", address: 9)
            try testbed.plug(twin)
            let scanners = context.devices().filter { $0.vidPid == "0c2e:0b61" }
            #expect(scanners.map(\.port).sorted() == ["1-1.2", "1-1.4"])
            #expect(Set(scanners.map(\.id.address)) == [5, 9])
        }
    }
}
