import Foundation
import SwiftProtobuf

/// What gRPC server reflection answers (pure): the file descriptors of the services a host serves, with their
/// imports, indexed by file name and by the symbols they declare. Answers `grpc.reflection.v1` requests;
/// ``ServerReflectionService`` serves them for v1 and v1alpha alike (the messages are the same).
public struct ServerReflectionIndex: Sendable {
    typealias Request = Grpc_Reflection_V1_ServerReflectionRequest
    typealias Response = Grpc_Reflection_V1_ServerReflectionResponse

    /// The services, fully qualified, sorted.
    public let services: [String]
    /// Each file's serialized `FileDescriptorProto`, by file name.
    let files: [String: Data]
    /// Each file's direct imports, by file name.
    let imports: [String: [String]]
    /// The file declaring each fully qualified symbol: packages' services, methods, messages (nested too), fields,
    /// enums, enum values and extensions.
    let symbols: [String: String]
    /// The fully qualified message types.
    let messages: Set<String>

    /// The index of Flotilla's gRPC surface: the MicroVM service and both reflection services, and what they import.
    public static let flotilla = ServerReflectionIndex(base64: ReflectionDescriptors.fileDescriptorSet)

    /// The index of a base64 `FileDescriptorSet` (empty if it does not decode).
    init(base64: String) {
        let set = Data(base64Encoded: base64).flatMap { try? Google_Protobuf_FileDescriptorSet(serializedBytes: $0) }
        self.init(set ?? Google_Protobuf_FileDescriptorSet())
    }

    init(_ set: Google_Protobuf_FileDescriptorSet) {
        var builder = Builder()
        for file in set.file { builder.add(file) }
        services = builder.services.sorted()
        files = builder.files
        imports = builder.imports
        symbols = builder.symbols
        messages = builder.messages
    }

    /// The answer to one request: the files asked for (the one named or declaring the symbol first, then
    /// everything it imports, transitively), the services, or an `error_response` with NOT_FOUND (5) or, for a
    /// request that asks nothing, INVALID_ARGUMENT (3). No extensions are declared: a known type has none.
    func answer(_ request: Request) -> Response {
        var response = Response()
        response.validHost = request.host
        response.originalRequest = request
        switch request.messageRequest {
        case .listServices:
            var list = Grpc_Reflection_V1_ListServiceResponse()
            list.service = services.map { name in
                var service = Grpc_Reflection_V1_ServiceResponse()
                service.name = name
                return service
            }
            response.listServicesResponse = list
        case .fileByFilename(let name):
            if files[name] != nil {
                response.fileDescriptorResponse = descriptors(from: name)
            } else {
                response.errorResponse = Self.error(5, "file \(name) not found")
            }
        case .fileContainingSymbol(let raw):
            let symbol = raw.hasPrefix(".") ? String(raw.dropFirst()) : raw
            if let file = symbols[symbol] {
                response.fileDescriptorResponse = descriptors(from: file)
            } else {
                response.errorResponse = Self.error(5, "symbol \(raw) not found")
            }
        case .fileContainingExtension(let ext):
            response.errorResponse = Self.error(
                5, "extension \(ext.extensionNumber) of \(ext.containingType) not found: this server declares no extensions")
        case .allExtensionNumbersOfType(let type):
            if messages.contains(type) {
                var numbers = Grpc_Reflection_V1_ExtensionNumberResponse()
                numbers.baseTypeName = type
                response.allExtensionNumbersResponse = numbers
            } else {
                response.errorResponse = Self.error(5, "type \(type) not found")
            }
        case nil:
            response.errorResponse = Self.error(3, "the request names no message_request")
        }
        return response
    }

    /// `name` and the files it imports, transitively, each once, `name` first.
    func descriptors(from name: String) -> Grpc_Reflection_V1_FileDescriptorResponse {
        var order: [String] = []
        var seen: Set<String> = []
        var pending = [name]
        while let next = pending.popLast() {
            guard seen.insert(next).inserted, files[next] != nil else { continue }
            order.append(next)
            pending += (imports[next] ?? []).reversed()
        }
        var response = Grpc_Reflection_V1_FileDescriptorResponse()
        response.fileDescriptorProto = order.compactMap { files[$0] }
        return response
    }

    static func error(_ code: Int32, _ message: String) -> Grpc_Reflection_V1_ErrorResponse {
        var error = Grpc_Reflection_V1_ErrorResponse()
        error.errorCode = code
        error.errorMessage = message
        return error
    }

    /// Collects the index from the files of a set.
    struct Builder {
        var services: [String] = []
        var files: [String: Data] = [:]
        var imports: [String: [String]] = [:]
        var symbols: [String: String] = [:]
        var messages: Set<String> = []

        mutating func add(_ file: Google_Protobuf_FileDescriptorProto) {
            guard let bytes = try? file.serializedBytes() as Data else { return }
            files[file.name] = bytes
            imports[file.name] = file.dependency
            let scope = file.package
            for message in file.messageType { add(message, scope: scope, file: file.name) }
            for e in file.enumType { add(e, scope: scope, file: file.name) }
            for ext in file.extension { declare(Self.qualified(scope, ext.name), in: file.name) }
            for service in file.service {
                let name = Self.qualified(scope, service.name)
                services.append(name)
                declare(name, in: file.name)
                for method in service.method { declare(name + "." + method.name, in: file.name) }
            }
        }

        mutating func add(_ message: Google_Protobuf_DescriptorProto, scope: String, file: String) {
            let name = Self.qualified(scope, message.name)
            messages.insert(name)
            declare(name, in: file)
            for field in message.field { declare(name + "." + field.name, in: file) }
            for ext in message.extension { declare(name + "." + ext.name, in: file) }
            for nested in message.nestedType { add(nested, scope: name, file: file) }
            for e in message.enumType { add(e, scope: name, file: file) }
        }

        /// An enum and its values, which protobuf scopes beside the enum, not inside it.
        mutating func add(_ e: Google_Protobuf_EnumDescriptorProto, scope: String, file: String) {
            declare(Self.qualified(scope, e.name), in: file)
            for value in e.value { declare(Self.qualified(scope, value.name), in: file) }
        }

        mutating func declare(_ symbol: String, in file: String) {
            if symbols[symbol] == nil { symbols[symbol] = file }
        }

        static func qualified(_ scope: String, _ name: String) -> String { scope.isEmpty ? name : scope + "." + name }
    }
}
