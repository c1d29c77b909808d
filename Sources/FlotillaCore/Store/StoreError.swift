/// Errors every store adapter maps its own failures onto.
public enum StoreError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The requested history is gone; the oldest revision still available is given.
    case compacted(requested: Revision, oldest: Revision)
    case leaseNotFound(LeaseID)
    /// The store could not be reached or did not answer within its deadline.
    case unavailable(String)
    /// The store refused the request as malformed (a bug in the caller).
    case invalid(String)

    public var description: String {
        switch self {
        case .compacted(let requested, let oldest):
            return "revision \(requested) has been compacted; the oldest available revision is \(oldest)"
        case .leaseNotFound(let id): return "lease \(id) not found"
        case .unavailable(let m): return "store unavailable: \(m)"
        case .invalid(let m): return "invalid store request: \(m)"
        }
    }
}
