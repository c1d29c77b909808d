import FlotillaCore

/// A gRPC call the audit trail records (ADR 0018): every CreateMicroVM and DeleteMicroVM, and every call refused
/// with UNAUTHENTICATED, PERMISSION_DENIED or RESOURCE_EXHAUSTED. The host turns it into an `AuditRecord`; the
/// secret is there only to name the caller's key and never leaves the process.
public struct FlintlockAuditEvent: Sendable {
    /// The method's full name, e.g. `microvm.services.api.v1alpha1.MicroVM/CreateMicroVM`.
    public var rpc: String
    public var secret: String?
    /// The caller as grpc-swift describes it, e.g. `ipv4:127.0.0.1:50000`.
    public var remotePeer: String
    /// The MicroVM's uid (a delete), nil for a create.
    public var targetId: String?
    /// The HTTP status of the answer's gRPC code (grpc-gateway's table; 200 for OK).
    public var status: Int
    /// The call's id, also sent back as `x-request-id` metadata.
    public var requestId: String

    public init(rpc: String, secret: String?, remotePeer: String, targetId: String?, status: Int, requestId: String) {
        self.rpc = rpc
        self.secret = secret
        self.remotePeer = remotePeer
        self.targetId = targetId
        self.status = status
        self.requestId = requestId
    }

    /// `address:port` of ``remotePeer`` (grpc-swift's `ipv4:`/`ipv6:` prefix dropped).
    public var remoteAddress: String {
        for prefix in ["ipv4:", "ipv6:"] where remotePeer.hasPrefix(prefix) { return String(remotePeer.dropFirst(prefix.count)) }
        return remotePeer
    }

    /// Whether the audit trail keeps a call of this kind with this answer.
    static func isRecorded(mutating: Bool, status: Int) -> Bool { mutating || status == 401 || status == 403 || status == 429 }
}

/// Receives the calls surface E's gRPC service records.
public typealias FlintlockAuditor = @Sendable (FlintlockAuditEvent) async -> Void
