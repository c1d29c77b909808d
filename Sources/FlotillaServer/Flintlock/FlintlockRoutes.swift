import FlotillaCore
import FlotillaFlintlock
import Foundation
import GRPCCore
import Hummingbird
import NIOCore
import NIOFoundationCompat
import SwiftProtobuf

/// Surface E's HTTP gateway: Flintlock's JSON routes under `/v1alpha1/microvm`, on the same operations as the
/// gRPC service. JSON is protobuf's: lowerCamelCase names, enum names, zero values emitted; requests may use
/// camelCase or snake_case names.
struct FlintlockRoutes {
    let service: FlintlockService

    init(deps: ServerDependencies) {
        service = FlintlockService(instances: deps.instances, registry: deps.registry, defaultProvider: .kvm)
    }

    func register(_ routes: Routes) {
        routes.add(.post, "/v1alpha1/microvm", permission: .operateInstances) { req, ctx in
            var response = CreateMicroVMResponse()
            response.microvm = try await service.create(try await Self.createRequest(req, ctx))
            return try Self.json(response)
        }
        routes.add(.get, "/v1alpha1/microvm", permission: .read) { req, _ in
            try Self.json(list(namespace: "", req))
        }
        routes.add(.get, "/v1alpha1/microvm/:key", permission: .read) { req, ctx in
            let key = ctx.parameters.get("key") ?? ""
            guard Self.isUID(key) else { return try Self.json(list(namespace: key, req)) }
            var response = GetMicroVMResponse()
            response.microvm = try service.get(uid: key)
            return try Self.json(response)
        }
        // One parameter name for both routes on this path: Hummingbird's trie keys them by it.
        routes.add(.delete, "/v1alpha1/microvm/:key", permission: .operateInstances) { _, ctx in
            try await service.delete(uid: ctx.parameters.get("key") ?? "")
            return try Self.json(Google_Protobuf_Empty())
        }
    }

    /// A ULID or a UUID names one MicroVM; anything else is a namespace.
    static func isUID(_ key: String) -> Bool { ULID.isValid(key) || UUID(uuidString: key) != nil }

    private func list(namespace: String, _ req: Request) -> ListMicroVMsResponse {
        var response = ListMicroVMsResponse()
        let name = req.uri.queryParameters["name"].map(String.init)
        response.microvm = service.list(namespace: namespace, name: name)
        return response
    }

    /// The body: a `CreateMicroVMRequest` (`{"microvm": {...}, "metadata": {...}}`, grpc-gateway's `body: "*"`)
    /// or the bare `MicroVMSpec`.
    static func createRequest(_ req: Request, _ ctx: FlotillaRequestContext) async throws -> CreateMicroVMRequest {
        let buffer = try await req.collectLimitedBody(context: ctx)
        let data = Data(buffer: buffer)
        guard let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any] else {
            throw FlotillaError.validation("The body must be a JSON object: a CreateMicroVMRequest or a MicroVMSpec")
        }
        do {
            if object["microvm"] != nil {
                return try CreateMicroVMRequest(jsonUTF8Data: data, options: FlintlockMapping.decoding)
            }
            var request = CreateMicroVMRequest()
            request.microvm = try MicroVMSpec(jsonUTF8Data: data, options: FlintlockMapping.decoding)
            return request
        } catch let error as SwiftProtobuf.JSONDecodingError {
            throw FlotillaError.validation("Invalid JSON for the microvm: \(error)")
        }
    }

    static func json(_ message: some SwiftProtobuf.Message) throws -> Response {
        let data: Data
        do {
            data = try FlintlockJSON.encode(message)
        } catch {
            throw FlotillaError(.internalError, "Could not encode the response", cause: "\(error)")
        }
        return JSONResponse.make(body: ByteBuffer(bytes: data))
    }
}

/// grpc-gateway's error body: the gRPC code, the message and (always empty here) details.
struct FlintlockErrorBody: Encodable {
    var code: Int
    var message: String
    var details: [String] = []

    init(_ error: FlotillaError) {
        code = FlintlockStatus.code(of: error.code).rawValue
        message = error.message
    }
}
