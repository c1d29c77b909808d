import FlotillaCore

/// The compute backends this host runs, by kind.
public struct BackendSet: Sendable {
    public let backends: [BackendKind: any ComputeBackend]
    public init(_ backends: [any ComputeBackend]) {
        var map: [BackendKind: any ComputeBackend] = [:]
        for b in backends { map[b.kind] = b }
        self.backends = map
    }
    public var kinds: [BackendKind] { backends.keys.sorted() }
    public subscript(kind: BackendKind) -> (any ComputeBackend)? { backends[kind] }
}
