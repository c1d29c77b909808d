import FlotillaCore

/// What can go wrong talking to etcd, as the adapter sees it. Mapped to ``StoreError`` at the edge of
/// ``EtcdClusterStore`` (see `EtcdError+Mapping.swift`); the cause is kept for logs.
enum EtcdError: Error, Sendable, CustomStringConvertible {
    /// The request never reached the member: the connection could not be made. Always safe to retry.
    case connect(endpoint: String, cause: String)
    /// The request may have reached the member, but no complete answer came back (timeout, connection lost).
    case noAnswer(endpoint: String, cause: String)
    /// The TLS handshake with the member failed, or the member ended the TLS session with an alert: an untrusted
    /// or expired certificate, a name that does not match, a client certificate it refused or one that is
    /// missing. The member never processed the request (etcd reads nothing over a session it did not accept).
    case tls(endpoint: String, cause: String)
    /// The member answered with a gRPC error (`code` as in grpc's status codes).
    case server(endpoint: String, code: Int, message: String)
    /// The member answered something we cannot read (not JSON of the expected shape, or too large).
    case malformed(endpoint: String, cause: String)
    /// A watch was cancelled by etcd because its start revision was compacted.
    case compacted(requested: Revision, compactRevision: Revision)
    /// The store was closed.
    case closed

    var description: String {
        switch self {
        case .connect(let endpoint, let cause): return "cannot connect to \(endpoint): \(cause)"
        case .noAnswer(let endpoint, let cause): return "no answer from \(endpoint): \(cause)"
        case .tls(let endpoint, let cause): return "TLS with \(endpoint) failed: \(cause)"
        case .server(let endpoint, let code, let message): return "\(endpoint) answered code \(code): \(message)"
        case .malformed(let endpoint, let cause): return "unreadable answer from \(endpoint): \(cause)"
        case .compacted(let requested, let compactRevision):
            return "revision \(requested) is compacted (compact revision \(compactRevision))"
        case .closed: return "the etcd store is closed"
        }
    }

    /// Whether another member might answer where this one did not (the member is down, cut off, or has no
    /// leader), for calls that may be repeated.
    var worthTryingAnotherMember: Bool {
        switch self {
        // A TLS failure is usually the same on every member (one CA, one client certificate), but a member with
        // a bad certificate of its own should not stop the others from answering.
        case .connect, .noAnswer, .tls: return true
        // UNAVAILABLE (no leader, not capable, leader changed), DEADLINE_EXCEEDED (request timed out in raft).
        case .server(_, let code, _): return code == GRPCCode.unavailable || code == GRPCCode.deadlineExceeded
        case .malformed, .compacted, .closed: return false
        }
    }

    /// The grpc status codes etcd uses.
    enum GRPCCode {
        static let invalidArgument = 3
        static let deadlineExceeded = 4
        static let notFound = 5
        static let failedPrecondition = 9
        static let outOfRange = 11
        static let unavailable = 14
    }

    /// etcd's error texts the adapter tells apart.
    enum Message {
        static let leaseNotFound = "requested lease not found"
        static let compacted = "required revision has been compacted"
        static let futureRevision = "required revision is a future revision"
    }
}
