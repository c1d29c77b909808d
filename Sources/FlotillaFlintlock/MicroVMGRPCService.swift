import FlotillaCore
import GRPCCore
import Logging
import SwiftProtobuf

/// Flintlock's `microvm.services.api.v1alpha1.MicroVM` service over gRPC: authorizes each call from its
/// metadata, runs it on ``FlintlockService`` and maps errors to gRPC statuses.
public struct MicroVMGRPCService: Microvm_Services_Api_V1alpha1_MicroVM.ServiceProtocol {
    let service: FlintlockService
    let authorize: FlintlockAuthorizer
    let logger: Logger

    public init(service: FlintlockService, authorize: @escaping FlintlockAuthorizer, logger: Logger = Logger(label: "flotilla.grpc")) {
        self.service = service
        self.authorize = authorize
        self.logger = logger
    }

    public func createMicroVM(request: ServerRequest<CreateMicroVMRequest>, context: ServerContext) async throws
        -> ServerResponse<CreateMicroVMResponse>
    {
        try await call(request.metadata, .operateInstances) {
            var response = CreateMicroVMResponse()
            response.microvm = try await service.create(request.message)
            return response
        }
    }

    public func deleteMicroVM(request: ServerRequest<DeleteMicroVMRequest>, context: ServerContext) async throws
        -> ServerResponse<Google_Protobuf_Empty>
    {
        try await call(request.metadata, .operateInstances) {
            try await service.delete(uid: request.message.uid)
            return Google_Protobuf_Empty()
        }
    }

    public func getMicroVM(request: ServerRequest<GetMicroVMRequest>, context: ServerContext) async throws
        -> ServerResponse<GetMicroVMResponse>
    {
        try await call(request.metadata, .read) {
            var response = GetMicroVMResponse()
            response.microvm = try service.get(uid: request.message.uid)
            return response
        }
    }

    public func listMicroVMs(request: ServerRequest<ListMicroVMsRequest>, context: ServerContext) async throws
        -> ServerResponse<ListMicroVMsResponse>
    {
        try await call(request.metadata, .read) {
            var response = ListMicroVMsResponse()
            let r = request.message
            response.microvm = service.list(namespace: r.namespace, name: r.hasName ? r.name : nil)
            return response
        }
    }

    public func listMicroVMsStream(request: ServerRequest<ListMicroVMsRequest>, context: ServerContext) async throws
        -> StreamingServerResponse<ListMessage>
    {
        do {
            try check(request.metadata, .read)
        } catch {
            return StreamingServerResponse(error: rpcError(error))
        }
        let r = request.message
        let vms = service.list(namespace: r.namespace, name: r.hasName ? r.name : nil)
        return StreamingServerResponse { writer in
            for vm in vms {
                var message = ListMessage()
                message.microvm = vm
                try await writer.write(message)
            }
            return [:]
        }
    }

    private func call<Output: Sendable>(
        _ metadata: Metadata, _ permission: Permission, _ body: () async throws -> Output
    ) async throws -> ServerResponse<Output> {
        do {
            try check(metadata, permission)
            return ServerResponse(message: try await body())
        } catch {
            return ServerResponse(error: rpcError(error))
        }
    }

    private func check(_ metadata: Metadata, _ permission: Permission) throws {
        let secret = FlintlockCredential.secret(
            authorization: metadata[stringValues: "authorization"].first { _ in true },
            apiKey: metadata[stringValues: "x-api-key"].first { _ in true })
        try authorize(secret, permission)
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
