import FlotillaCore
import GRPCCore
import SwiftProtobuf

/// gRPC server reflection, `grpc.reflection.v1.ServerReflection`, on the MicroVM service's server and under its
/// rules: a caller needs a key that may read (sent as for the MicroVM service: `authorization` or `x-api-key`
/// metadata); a refusal is UNAUTHENTICATED or PERMISSION_DENIED and goes to ``audit`` as the MicroVM service's do.
/// Each request of the stream is answered from ``ServerReflectionIndex``. ``ServerReflectionAlphaService`` serves
/// the same for `grpc.reflection.v1alpha`, which grpcurl and older clients use.
public struct ServerReflectionService: Grpc_Reflection_V1_ServerReflection.StreamingServiceProtocol {
    let index: ServerReflectionIndex
    let authorize: FlintlockAuthorizer
    let audit: FlintlockAuditor

    public init(
        index: ServerReflectionIndex = .flotilla, authorize: @escaping FlintlockAuthorizer, audit: @escaping FlintlockAuditor = { _ in }
    ) {
        self.index = index
        self.authorize = authorize
        self.audit = audit
    }

    public func serverReflectionInfo(
        request: StreamingServerRequest<Grpc_Reflection_V1_ServerReflectionRequest>, context: ServerContext
    ) async throws -> StreamingServerResponse<Grpc_Reflection_V1_ServerReflectionResponse> {
        let requestId = MicroVMGRPCService.requestId(request.metadata)
        let rpc = "grpc.reflection.v1.ServerReflection/ServerReflectionInfo"
        if let refusal = await refusal(request.metadata, context, rpc: rpc, requestId: requestId) {
            return StreamingServerResponse(error: refusal)
        }
        return StreamingServerResponse { writer in
            for try await message in request.messages { try await writer.write(index.answer(message)) }
            return ["x-request-id": .string(requestId)]
        }
    }

    /// Nil when the caller may read; else the error to answer with, recorded in the audit trail when it keeps it.
    func refusal(_ metadata: Metadata, _ context: ServerContext, rpc: String, requestId: String) async -> RPCError? {
        let secret = MicroVMGRPCService.secret(metadata)
        do {
            try authorize(secret, .read)
            return nil
        } catch {
            var failure =
                (error as? FlotillaError).map(FlintlockStatus.rpcError) ?? RPCError(code: .permissionDenied, message: "Not allowed")
            failure.metadata.replaceOrAddString(requestId, forKey: "x-request-id")
            let status = FlintlockStatus.httpStatus(of: failure.code)
            if FlintlockAuditEvent.isRecorded(mutating: false, status: status) {
                await audit(
                    FlintlockAuditEvent(
                        rpc: rpc, secret: secret, remotePeer: context.remotePeer, targetId: nil, status: status, requestId: requestId))
            }
            return failure
        }
    }
}
