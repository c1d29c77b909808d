import FlotillaCore
import GRPCCore
import Logging
import SwiftProtobuf

/// Flintlock's `microvm.services.api.v1alpha1.MicroVM` service over gRPC: authorizes each call from its
/// metadata, runs it on ``FlintlockService`` and maps errors to gRPC statuses. Every answer carries the call's
/// `x-request-id` (the client's if safe, else a new one); mutating calls and refusals go to ``audit`` (ADR 0018).
public struct MicroVMGRPCService: Microvm_Services_Api_V1alpha1_MicroVM.ServiceProtocol {
    let service: FlintlockService
    let authorize: FlintlockAuthorizer
    let logger: Logger
    let audit: FlintlockAuditor

    static let serviceName = "microvm.services.api.v1alpha1.MicroVM"

    public init(
        service: FlintlockService, authorize: @escaping FlintlockAuthorizer, logger: Logger = Logger(label: "flotilla.grpc"),
        audit: @escaping FlintlockAuditor = { _ in }
    ) {
        self.service = service
        self.authorize = authorize
        self.logger = logger
        self.audit = audit
    }

    public func createMicroVM(request: ServerRequest<CreateMicroVMRequest>, context: ServerContext) async throws
        -> ServerResponse<CreateMicroVMResponse>
    {
        try await call("CreateMicroVM", request.metadata, context, .operateInstances, mutating: true) {
            var response = CreateMicroVMResponse()
            response.microvm = try await service.create(request.message)
            return response
        }
    }

    public func deleteMicroVM(request: ServerRequest<DeleteMicroVMRequest>, context: ServerContext) async throws
        -> ServerResponse<Google_Protobuf_Empty>
    {
        try await call("DeleteMicroVM", request.metadata, context, .operateInstances, mutating: true, target: request.message.uid) {
            try await service.delete(uid: request.message.uid)
            return Google_Protobuf_Empty()
        }
    }

    public func getMicroVM(request: ServerRequest<GetMicroVMRequest>, context: ServerContext) async throws
        -> ServerResponse<GetMicroVMResponse>
    {
        try await call("GetMicroVM", request.metadata, context, .read, target: request.message.uid) {
            var response = GetMicroVMResponse()
            response.microvm = try service.get(uid: request.message.uid)
            return response
        }
    }

    public func listMicroVMs(request: ServerRequest<ListMicroVMsRequest>, context: ServerContext) async throws
        -> ServerResponse<ListMicroVMsResponse>
    {
        try await call("ListMicroVMs", request.metadata, context, .read) {
            var response = ListMicroVMsResponse()
            let r = request.message
            response.microvm = service.list(namespace: r.namespace, name: r.hasName ? r.name : nil)
            return response
        }
    }

    public func listMicroVMsStream(request: ServerRequest<ListMicroVMsRequest>, context: ServerContext) async throws
        -> StreamingServerResponse<ListMessage>
    {
        let requestId = Self.requestId(request.metadata)
        do {
            try check(request.metadata, .read)
        } catch {
            let failure = rpcError(error, requestId: requestId)
            await record("ListMicroVMsStream", request.metadata, context, mutating: false, target: nil, failure, requestId)
            return StreamingServerResponse(error: failure)
        }
        let r = request.message
        let vms = service.list(namespace: r.namespace, name: r.hasName ? r.name : nil)
        return StreamingServerResponse { writer in
            for vm in vms {
                var message = ListMessage()
                message.microvm = vm
                try await writer.write(message)
            }
            return ["x-request-id": .string(requestId)]
        }
    }

    private func call<Output: Sendable>(
        _ method: String, _ metadata: Metadata, _ context: ServerContext, _ permission: Permission, mutating: Bool = false,
        target: String? = nil, _ body: () async throws -> Output
    ) async throws -> ServerResponse<Output> {
        let requestId = Self.requestId(metadata)
        do {
            try check(metadata, permission)
            let message = try await body()
            await record(method, metadata, context, mutating: mutating, target: target, nil, requestId)
            return ServerResponse(message: message, metadata: ["x-request-id": .string(requestId)])
        } catch {
            let failure = rpcError(error, requestId: requestId)
            await record(method, metadata, context, mutating: mutating, target: target, failure, requestId)
            return ServerResponse(error: failure)
        }
    }

    /// The call's id: the client's `x-request-id` if safe, else a new one.
    static func requestId(_ metadata: Metadata) -> String {
        RequestId.resolve(metadata[stringValues: "x-request-id"].first { _ in true })
    }

    /// Hands the call to ``audit`` when the trail keeps it (`failure` nil: it succeeded).
    private func record(
        _ method: String, _ metadata: Metadata, _ context: ServerContext, mutating: Bool, target: String?, _ failure: RPCError?,
        _ requestId: String
    ) async {
        let status = failure.map { FlintlockStatus.httpStatus(of: $0.code) } ?? 200
        guard FlintlockAuditEvent.isRecorded(mutating: mutating, status: status) else { return }
        await audit(
            FlintlockAuditEvent(
                rpc: "\(Self.serviceName)/\(method)", secret: Self.secret(metadata), remotePeer: context.remotePeer,
                targetId: target.flatMap { $0.isEmpty ? nil : $0 }, status: status, requestId: requestId))
    }

    private func check(_ metadata: Metadata, _ permission: Permission) throws {
        try authorize(Self.secret(metadata), permission)
    }

    static func secret(_ metadata: Metadata) -> String? {
        FlintlockCredential.secret(
            authorization: metadata[stringValues: "authorization"].first { _ in true },
            apiKey: metadata[stringValues: "x-api-key"].first { _ in true })
    }

    /// ``rpcError(_:)`` with the call's id in its metadata.
    private func rpcError(_ error: any Error, requestId: String) -> RPCError {
        var failure = rpcError(error)
        failure.metadata.replaceOrAddString(requestId, forKey: "x-request-id")
        return failure
    }

    private func rpcError(_ error: any Error) -> RPCError {
        if let error = error as? FlotillaError {
            if error.code == .internalError || error.code == .storeUnavailable {
                logger.error("microvm call failed", metadata: ["error": "\(error)", "cause": "\(error.cause ?? "")"])
            }
            return FlintlockStatus.rpcError(error)
        }
        if let error = error as? RPCError { return error }
        logger.error("microvm call failed", metadata: ["error": "\(error)"])
        return RPCError(code: .internalError, message: "Internal error")
    }
}
