import GRPCCore
import SwiftProtobuf

/// gRPC server reflection as `grpc.reflection.v1alpha.ServerReflection`, which grpcurl and older clients use:
/// the same messages as v1 in another package, so each request and answer passes through ``ServerReflectionService``
/// as its bytes, under the same rules.
public struct ServerReflectionAlphaService: Grpc_Reflection_V1alpha_ServerReflection.StreamingServiceProtocol {
    public typealias AlphaRequest = Grpc_Reflection_V1alpha_ServerReflectionRequest
    public typealias AlphaResponse = Grpc_Reflection_V1alpha_ServerReflectionResponse

    let v1: ServerReflectionService

    public init(_ v1: ServerReflectionService) { self.v1 = v1 }

    public func serverReflectionInfo(request: StreamingServerRequest<AlphaRequest>, context: ServerContext) async throws
        -> StreamingServerResponse<AlphaResponse>
    {
        let requestId = MicroVMGRPCService.requestId(request.metadata)
        let rpc = "grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo"
        if let refusal = await v1.refusal(request.metadata, context, rpc: rpc, requestId: requestId) {
            return StreamingServerResponse(error: refusal)
        }
        let index = v1.index
        return StreamingServerResponse { writer in
            for try await message in request.messages {
                let asked = try ServerReflectionIndex.Request(serializedBytes: try message.serializedBytes() as [UInt8])
                let answer = index.answer(asked)
                try await writer.write(try AlphaResponse(serializedBytes: try answer.serializedBytes() as [UInt8]))
            }
            return ["x-request-id": .string(requestId)]
        }
    }
}
