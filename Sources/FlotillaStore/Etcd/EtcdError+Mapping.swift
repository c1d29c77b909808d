import FlotillaCore

extension EtcdError {
    /// The ``StoreError`` callers of the port see: the one place etcd failures are mapped.
    ///
    /// - `lease`: the lease the call was about, for etcd's "requested lease not found".
    func storeError(lease: LeaseID? = nil) -> StoreError {
        switch self {
        case .connect, .noAnswer, .closed:
            return .unavailable(description)
        case .tls:
            // The description names TLS, the member and the cause: a bad CA or certificate is not hidden behind
            // a plain "unavailable".
            return .unavailable(description)
        case .malformed:
            return .unavailable(description)
        case .compacted(let requested, let compactRevision):
            // etcd keeps the compact revision itself: it is the oldest one a watch may start from.
            return .compacted(requested: requested, oldest: compactRevision)
        case .server(_, let code, let message):
            if message.contains(Message.leaseNotFound) {
                return lease.map { .leaseNotFound($0) } ?? .invalid(message)
            }
            switch code {
            case GRPCCode.invalidArgument, GRPCCode.outOfRange, GRPCCode.failedPrecondition, GRPCCode.notFound:
                return .invalid(message)
            default:
                return .unavailable(description)
            }
        }
    }
}
