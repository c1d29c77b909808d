/// The read deadlines of one HTTP/1 connection (docs/decisions/0013-connection-limits.md). Pure: the channel
/// handler (``RequestDeadlineHandler``) reports what it sees, with the time, and closes the connection when
/// ``expired(at:)`` names a phase.
///
/// - Waiting for a request (new, or kept alive after its last response): closed `idle` after the wait began;
///   no deadline while a response is still owed.
/// - Reading a head, from its first byte: closed `header` after that byte.
/// - Reading a body: closed `body` after its last byte, and `body` plus one second per `bodyMinRate` bytes
///   received after its head.
///
/// Only the client's time counts: while the server asks for no bytes (its application has not yet taken what
/// came before), nothing expires, and the running phase's clock is moved on by the pause.
public struct RequestDeadlines: Sendable {
    public typealias Instant = ContinuousClock.Instant

    /// What the connection waits for; the reason it was closed.
    public enum Phase: String, Sendable, Equatable {
        case idle, header, body
    }

    private enum Reading: Sendable, Equatable {
        case idle(since: Instant)
        case head(since: Instant)
        case body(since: Instant, lastByte: Instant, received: Int)
    }

    private let timeouts: ConnectionTimeouts
    private var reading: Reading
    /// Requests whose head arrived and whose response has not ended.
    private var unanswered = 0
    /// Whether a request part arrived since the last completed socket read.
    private var partSinceReadCompleted = false
    /// When the server last had all the bytes it asked for; nil while it waits for more.
    private var pausedAt: Instant?

    public init(timeouts: ConnectionTimeouts, now: Instant) {
        self.timeouts = timeouts
        self.reading = .idle(since: now)
    }

    /// A socket read completed. With no request part decoded from it, the bytes began a head.
    public mutating func readCompleted(at now: Instant) {
        if !partSinceReadCompleted, case .idle = reading { reading = .head(since: now) }
        partSinceReadCompleted = false
        pausedAt = now
    }

    /// The server asked the socket for more bytes: the time since the last read completed was the server's,
    /// and the running phase's clock moves on by as much.
    public mutating func readRequested(at now: Instant) {
        guard let pausedAt else { return }
        self.pausedAt = nil
        let paused = now - pausedAt
        switch reading {
        case .idle(let since): reading = .idle(since: since + paused)
        case .head(let since): reading = .head(since: since + paused)
        case .body(let since, let lastByte, let received):
            reading = .body(since: since + paused, lastByte: lastByte + paused, received: received)
        }
    }

    public mutating func headReceived(at now: Instant) {
        partSinceReadCompleted = true
        unanswered += 1
        reading = .body(since: now, lastByte: now, received: 0)
    }

    public mutating func bodyReceived(bytes: Int, at now: Instant) {
        partSinceReadCompleted = true
        if case .body(let since, _, let received) = reading { reading = .body(since: since, lastByte: now, received: received + bytes) }
    }

    public mutating func requestEnded(at now: Instant) {
        partSinceReadCompleted = true
        reading = .idle(since: now)
    }

    public mutating func responseEnded(at now: Instant) {
        unanswered = max(0, unanswered - 1)
        if case .idle = reading { reading = .idle(since: now) }
    }

    /// When the connection is to be closed, and in which phase; nil when no deadline runs.
    public var deadline: (at: Instant, phase: Phase)? {
        switch reading {
        case .idle(let since):
            return unanswered > 0 ? nil : (since + timeouts.idle, .idle)
        case .head(let since):
            return (since + timeouts.header, .header)
        case .body(let since, let lastByte, let received):
            let credit = Duration.seconds(Double(received) / Double(max(timeouts.bodyMinRate, 1)))
            return (min(lastByte + timeouts.body, since + timeouts.body + credit), .body)
        }
    }

    /// When to look at the connection again: its deadline while the server waits for the client, else nil.
    public var nextCheck: Instant? { pausedAt == nil ? deadline?.at : nil }

    /// The phase whose deadline has passed at `now`, if one has while the server waits for the client.
    public func expired(at now: Instant) -> Phase? {
        guard pausedAt == nil, let deadline, now >= deadline.at else { return nil }
        return deadline.phase
    }
}
