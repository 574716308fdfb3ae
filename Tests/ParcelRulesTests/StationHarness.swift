import ParcelRules

/// A station in a test: the reference ledger, the rules, and a clock the test moves by hand.
///
/// Every scan goes through `ScanRules.decide` against the ledger and is recorded, as the agent does with the
/// journal, so tests read like an operator's shift: scan, wait, scan a card, look at the counts.
struct Station {
    var ledger = InMemoryParcelLedger()
    var rules: ScanRules
    /// 2025-06-01T00:00:00Z, boot "boot-1", 100 s after boot.
    var now = EventTime(wallNanos: 1_748_736_000 * 1_000_000_000, bootID: "boot-1", monotonicNanos: 100 * 1_000_000_000)

    init(rules: ScanRules = ScanRules()) {
        self.rules = rules
    }

    /// Lets time pass on both clocks.
    mutating func wait(seconds: Double) {
        let nanos = Int64(seconds * 1_000_000_000)
        now.wallNanos += nanos
        now.monotonicNanos += UInt64(nanos)
    }

    /// A reboot: a new boot id, the monotonic clock restarts, the wall clock moves by `wallSeconds`.
    mutating func reboot(wallSeconds: Double, bootID: String = "boot-2") {
        now.bootID = bootID
        now.monotonicNanos = 5 * 1_000_000_000
        now.wallNanos += Int64(wallSeconds * 1_000_000_000)
    }

    /// Scans `raw` on a device and records the decision.
    @discardableResult
    mutating func scan(
        _ raw: String, on device: String = "desk", role: DeviceRole = .switchable, symbology: String? = nil,
        source: ScanSource = .usb
    ) -> Decision {
        let input = ScanInput(
            raw: raw, reportedSymbology: symbology, device: device, role: role, source: source, time: now)
        return ledger.scan(input, rules: rules)
    }

    /// Decides without recording: what the rules would say now.
    func preview(_ raw: String, on device: String = "desk", role: DeviceRole = .switchable) -> Decision {
        rules.decide(ScanInput(raw: raw, device: device, role: role, time: now), state: ledger)
    }

    func state(_ code: String) -> ParcelState { ledger.parcelState(of: code) }
    var totals: ParcelCounts { ledger.totals() }
}

