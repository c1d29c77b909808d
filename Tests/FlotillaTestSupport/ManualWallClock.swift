import FlotillaCore
import Foundation

/// A wall clock a test sets and advances by hand (ADR 0033): pass ``clock`` where a service takes `clock:`.
public final class ManualWallClock: Sendable {
    private let time: LockedBox<Date>

    public init(_ start: Date = Date()) { time = LockedBox(start) }

    /// The clock to inject: it reads the time this fixture holds.
    public var clock: WallClock { WallClock { [time] in time.value } }

    /// The same time in milliseconds since 1970, the form the stores take as `now`.
    public var milliseconds: @Sendable () -> Int64 { { [time] in Int64((time.value.timeIntervalSince1970 * 1000).rounded()) } }

    /// The time it holds.
    public var now: Date { time.value }

    /// Sets the time.
    public func set(_ date: Date) { time.withLock { $0 = date } }

    /// Moves the time on by `interval` seconds (back when negative).
    public func advance(by interval: TimeInterval) { time.withLock { $0 += interval } }
}
