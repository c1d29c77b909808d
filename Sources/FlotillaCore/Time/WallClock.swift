public import Foundation

/// The wall clock a component reads when it decides by the time of day: heartbeat freshness, expiries,
/// retention cut-offs, timestamps written to records (ADR 0033). Every service that needs one takes it as an
/// init parameter named `clock`; `FlotillaHost.build` passes ``system``, tests a fixed or movable time
/// (`ManualWallClock` in FlotillaTestSupport). Durations measured on this host (leases, deadlines, back-off)
/// use the monotonic `ContinuousClock` instead.
public struct WallClock: Sendable {
    private let read: @Sendable () -> Date

    /// A clock that reads the time from `read`.
    public init(_ read: @escaping @Sendable () -> Date) {
        self.read = read
    }

    /// The current wall time.
    public var now: Date { read() }

    /// The system's clock.
    public static let system = WallClock { Date() }
}
