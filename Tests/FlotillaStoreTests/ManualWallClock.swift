import FlotillaTestSupport

/// A wall clock (ms) the test moves by hand, injected as the store's `now`.
final class ManualWallClock: Sendable {
    private let ms = LockedBox<Int64>(1_700_000_000_000)

    var now: Int64 { ms.value }

    func advance(seconds: Int64) { ms.withLock { $0 += seconds * 1000 } }

    /// The closure to hand to the store.
    var reader: @Sendable () -> Int64 { { [ms] in ms.value } }
}
