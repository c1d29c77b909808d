/// How many connections the HTTP listener holds at once, in all and from one source address, and the decision
/// for each new one (docs/decisions/0013-connection-limits.md). Pure: ``ConnectionGate`` only counts and acts.
public struct ConnectionLimits: Sendable, Equatable {
    /// The most connections open at once, from every address together.
    public var total: Int
    /// The most connections open at once from one source address. No address is exempt.
    public var perAddress: Int

    public init(total: Int, perAddress: Int) {
        self.total = total
        self.perAddress = perAddress
    }

    /// What becomes of a new connection.
    public enum Verdict: Sendable, Equatable {
        case admit
        /// Closed at once: `total` connections are open.
        case overTotal
        /// Closed at once: `perAddress` connections from its address are open.
        case overAddress
    }

    /// The verdict on a new connection, given how many are open in all and from its address (not counting it).
    public func verdict(openInAll: Int, openFromAddress: Int) -> Verdict {
        if openFromAddress >= perAddress { return .overAddress }
        if openInAll >= total { return .overTotal }
        return .admit
    }

    /// The limits for a process that may open `openFiles` files, for each cap not given: the total leaves a
    /// quarter of the files (at least 64, at most half) to the store, the backends, the gRPC listener and the
    /// process's own files; one address may hold half of the total, at most 1,024.
    public static func derived(openFiles: Int, total: Int? = nil, perAddress: Int? = nil) -> ConnectionLimits {
        let files = max(openFiles, 2)
        let reserve = min(max(64, files / 4), files / 2)
        let all = total ?? (files - reserve)
        return ConnectionLimits(total: all, perAddress: perAddress ?? min(1024, max(1, all / 2)))
    }
}
