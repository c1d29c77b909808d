import FlotillaFlintlock
import FlotillaHost
import FlotillaTestSupport
import Foundation
import GRPCCore
import GRPCNIOTransportHTTP2
import Testing

typealias MicroVMClient = Microvm_Services_Api_V1alpha1_MicroVM.Client<HTTP2ClientTransport.Posix>
typealias ReflectionClient = Grpc_Reflection_V1_ServerReflection.Client<HTTP2ClientTransport.Posix>

/// A test host with its gRPC listener on an ephemeral loopback port, and a client made from this target's own
/// generated code.
struct FlintlockFixture: Sendable {
    let host: TestHost
    let port: Int
    let client: MicroVMClient
    /// gRPC server reflection (v1) on the same connection.
    let reflection: ReflectionClient

    /// `authorization: basic <base64 of the key>`, as Flintlock's clients send it.
    static func basic(_ key: String) -> Metadata { ["authorization": .string("basic " + Data(key.utf8).base64EncodedString())] }
    static func bearer(_ key: String) -> Metadata { ["authorization": .string("bearer " + key)] }
    var admin: Metadata { Self.basic(host.adminKey) }

    /// Runs `body` with the sim backend slowed (2 s per operation) so that the transitional states PENDING and
    /// DELETING last well beyond one call on a loaded machine.
    static func with<T: Sendable>(
        simLatency: Duration = .seconds(2), dataDir: String? = nil,
        configure: @escaping @Sendable (inout HostConfiguration) -> Void = { _ in },
        _ body: @Sendable (FlintlockFixture) async throws -> T
    ) async throws -> T {
        try await TestHost.with(
            dataDir: dataDir,
            configure: {
                $0.simLatency = simLatency
                configure(&$0)
            }
        ) { host in
            let bound = LockedBox<Int?>(nil)
            let server = try #require(host.host.flintlockServer(port: 0) { port in bound.withLock { $0 = port } })
            return try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { try await server.run() }
                defer { group.cancelAll() }
                let port = try await eventuallyValue("the gRPC listener", timeout: .seconds(30)) { bound.value }
                let transport = try HTTP2ClientTransport.Posix(
                    target: .ipv4(address: "127.0.0.1", port: port), transportSecurity: .plaintext)
                return try await withGRPCClient(transport: transport) { grpc in
                    try await body(
                        FlintlockFixture(
                            host: host, port: port, client: MicroVMClient(wrapping: grpc), reflection: ReflectionClient(wrapping: grpc)))
                }
            }
        }
    }
}

/// A create request for a sim MicroVM on a built-in catalog image.
func simSpec(_ name: String, namespace: String, labels: [String: String] = [:]) -> Microvm_Services_Api_V1alpha1_CreateMicroVMRequest {
    var spec = Flintlock_Types_MicroVMSpec()
    spec.id = name
    spec.namespace = namespace
    spec.labels = labels
    spec.provider = "sim"
    spec.kernel.image = "ubuntu:22.04"
    spec.rootVolume.id = "root"
    spec.rootVolume.source.containerSource = "ubuntu-22.04"
    spec.metadata = ["user-data": Data("#cloud-config\nhostname: \(name)\n".utf8).base64EncodedString()]
    var request = Microvm_Services_Api_V1alpha1_CreateMicroVMRequest()
    request.microvm = spec
    return request
}

/// The gRPC code a call fails with, or nil when it succeeds.
func rpcCode(_ call: () async throws -> Void) async -> RPCError.Code? {
    do {
        try await call()
        return nil
    } catch let error as RPCError {
        return error.code
    } catch {
        Issue.record("not an RPCError: \(error)")
        return .unknown
    }
}
