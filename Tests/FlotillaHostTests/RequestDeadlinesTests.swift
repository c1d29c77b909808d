import FlotillaHost
import Testing

@Suite("request deadlines: when a slow client's connection is closed")
struct RequestDeadlinesTests {
    /// What the handler reports, at a second from the connection's start.
    enum Event: Sendable {
        case readCompleted, readRequested, head, body(Int), end, responseEnd
    }

    struct Case: Sendable, CustomTestStringConvertible {
        let name: String
        let events: [(Double, Event)]
        /// (second, phase expired then or nil)
        let checks: [(Double, RequestDeadlines.Phase?)]
        var testDescription: String { name }
    }

    static let timeouts = ConnectionTimeouts(idle: .seconds(60), header: .seconds(10), body: .seconds(20), bodyMinRate: 100)

    /// A whole request, head to end, arriving in one socket read at `t`.
    static func request(at t: Double) -> [(Double, Event)] {
        [(t, .head), (t, .end), (t, .readCompleted), (t, .readRequested)]
    }

    /// A head read at 0 s, the server asking for more.
    static let headAtZero: [(Double, Event)] = [(0, .head), (0, .readCompleted), (0, .readRequested)]

    /// `bytes` of body each second from 1 s to `last` s, each in a socket read of its own.
    static func body(every second: ClosedRange<Int>, bytes: Int) -> [(Double, Event)] {
        var events: [(Double, Event)] = []
        for t in second { events += [(Double(t), .body(bytes)), (Double(t), .readCompleted), (Double(t), .readRequested)] }
        return events
    }

    static let cases: [Case] = [
        Case(name: "a connection that sends nothing is closed after the idle timeout", events: [], checks: [(59.9, nil), (60, .idle)]),
        Case(
            name: "a head begun at 5 s and never finished is closed 10 s later",
            events: [(5, .readCompleted), (5, .readRequested)], checks: [(14.9, nil), (15, .header), (100, .header)]),
        Case(name: "no deadline while a response is owed", events: request(at: 1), checks: [(61, nil), (10_000, nil)]),
        Case(
            name: "a kept-alive connection waits the idle timeout from its last response",
            events: request(at: 1) + [(2, .responseEnd)], checks: [(61.9, nil), (62, .idle)]),
        Case(
            name: "the next request's first bytes start its header deadline",
            events: request(at: 1) + [(2, .responseEnd), (30, .readCompleted), (30, .readRequested)], checks: [(39.9, nil), (40, .header)]),
        Case(
            name: "a body that stalls is closed after the body timeout",
            events: [(0, .head), (0, .body(10)), (0, .readCompleted), (0, .readRequested)], checks: [(19.9, nil), (20, .body)]),
        Case(
            name: "a body that trickles a byte a second is closed by the minimum rate",
            events: headAtZero + body(every: 1...40, bytes: 1),
            checks: [(20.1, nil), (20.2, .body)]),
        Case(
            name: "a fast body that then stalls is closed by the stall rule",
            events: headAtZero + body(every: 1...5, bytes: 10_000),
            checks: [(24.9, nil), (25, .body)]),
        Case(
            name: "a body at the minimum rate or above is never cut",
            events: headAtZero + body(every: 1...100, bytes: 100),
            checks: [(100, nil), (101, nil)]),
        Case(
            name: "nothing expires while the server reads nothing; the clock moves on by the pause",
            events: [(0, .head), (0, .body(10)), (0, .readCompleted), (100, .readRequested)],
            checks: [(50, nil), (119.9, nil), (120, .body)]),
        Case(
            name: "a response sent before the body ends leaves the body's deadlines running",
            events: [(0, .head), (0, .readCompleted), (0, .readRequested), (1, .responseEnd)], checks: [(19.9, nil), (20, .body)]),
    ]

    @Test("deadlines", arguments: cases)
    func deadlines(_ c: Case) {
        let start = ContinuousClock.now
        func at(_ seconds: Double) -> ContinuousClock.Instant { start + .milliseconds(Int64((seconds * 1000).rounded())) }
        var d = RequestDeadlines(timeouts: Self.timeouts, now: start)
        var pending = c.events[...]
        // Each check sees the events up to its time.
        for (t, expected) in c.checks {
            while let (when, event) = pending.first, when <= t {
                pending = pending.dropFirst()
                switch event {
                case .readCompleted: d.readCompleted(at: at(when))
                case .readRequested: d.readRequested(at: at(when))
                case .head: d.headReceived(at: at(when))
                case .body(let n): d.bodyReceived(bytes: n, at: at(when))
                case .end: d.requestEnded(at: at(when))
                case .responseEnd: d.responseEnded(at: at(when))
                }
            }
            #expect(d.expired(at: at(t)) == expected, "at \(t) s")
        }
    }

    @Test("the handler's next look is the deadline, and none while the server reads nothing")
    func nextCheck() {
        let start = ContinuousClock.now
        var d = RequestDeadlines(timeouts: Self.timeouts, now: start)
        #expect(d.nextCheck == start + .seconds(60))
        d.readCompleted(at: start + .seconds(1))
        #expect(d.nextCheck == nil)
        d.readRequested(at: start + .seconds(1))
        #expect(d.nextCheck == start + .seconds(11))
    }
}
