import FlotillaCluster
import Testing

/// The fan-out behind the registry's updates: a filtered subscriber gets only what it wants, in order.
@Suite struct BroadcasterTests {
    @Test("a subscriber with a filter receives the values it accepts, in order; one without receives every value")
    func filteredSubscription() async {
        let broadcaster = Broadcaster<Int>()
        let evens = broadcaster.subscribe { $0 % 2 == 0 }
        let all = broadcaster.subscribe()
        for value in 1...10 { broadcaster.yield(value) }
        broadcaster.finish()
        var seenEvens: [Int] = []
        for await value in evens { seenEvens.append(value) }
        var seenAll: [Int] = []
        for await value in all { seenAll.append(value) }
        #expect(seenEvens == [2, 4, 6, 8, 10])
        #expect(seenAll == Array(1...10))
    }
}
