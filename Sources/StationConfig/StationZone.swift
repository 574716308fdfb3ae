public import StationTime

/// The zone a station's business days are cut in (SPEC §3), loaded in one place for the agent and every command.
public struct StationZone: Sendable {
    public let zone: StationTimeZone
    /// Why the zone is UTC although nobody chose it (no `timezone` and no usable system zone), in words; nil when
    /// the zone is the configured or the system's.
    public let fallbackReason: String?
}

extension StationConfiguration {
    /// The configured `timezone`, else the system's, else UTC with a reason to warn about.
    ///
    /// - Throws: the ``TimeZoneError`` of a configured `timezone` that cannot be loaded (a configuration error).
    public func stationZone() throws(TimeZoneError) -> StationZone {
        do {
            return StationZone(zone: try StationTimeZone.load(named: timezone), fallbackReason: nil)
        } catch .noSystemZone {
            guard timezone == nil else { throw .noSystemZone }
            return StationZone(zone: .utc, fallbackReason: "no time zone configured and none on the system")
        } catch {
            guard timezone == nil else { throw error }
            return StationZone(zone: .utc, fallbackReason: "no time zone configured and the system's cannot be used (\(error))")
        }
    }
}
