/// How long the HTTP listener waits on a client (docs/decisions/0013-connection-limits.md): `flotilla serve`'s
/// `--idle-timeout`, `--header-timeout`, `--body-timeout` and `--body-min-rate`.
public struct ConnectionTimeouts: Sendable, Equatable {
    /// How long a connection may wait for the first byte of a request (a new connection, or a kept-alive one
    /// after its last response) before the server closes it.
    public var idle: Duration
    /// How long a request's head may take from its first byte until it is complete.
    public var header: Duration
    /// How long a request body may go without a byte; also the grace before `bodyMinRate` applies.
    public var body: Duration
    /// The least average rate of a request body, bytes a second: a body must be complete within `body` plus
    /// one second for every `bodyMinRate` bytes received.
    public var bodyMinRate: Int

    public init(idle: Duration = .seconds(75), header: Duration = .seconds(10), body: Duration = .seconds(30), bodyMinRate: Int = 1024) {
        self.idle = idle
        self.header = header
        self.body = body
        self.bodyMinRate = bodyMinRate
    }
}
