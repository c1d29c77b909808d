import FlotillaTestSupport
import Foundation
import GRPCCore
import GRPCNIOTransportHTTP2
import Testing

/// Surface E over TLS (ADR 0017), as Flintlock serves it by default and as its Cluster API provider connects:
/// a client generated from the upstream protos, trusting the cluster CA, with the key in `authorization: basic`.
@Suite("flotilla serve serves Flintlock gRPC over TLS", .serialized)
struct MicroVMTLSProcessTests {
    @Test("a client that trusts the cluster CA is served over TLS; another CA and a plaintext client are refused")
    func grpcOverTLS() async throws {
        try await TLSFixture.with { tls in
            let files = try tls.issue("h1")
            try await FixtureStack.with { stack in
                let serve = try await stack.serve(
                    dataDir: tls.directory + "/data", extra: ["--tls-cert", files.certificate, "--tls-key", files.key])
                let port = try await eventuallyValue("the gRPC port line", timeout: .seconds(60)) { () -> Int? in
                    guard
                        let range = serve.stdout.range(
                            of: #"flintlock grpc listening on 127\.0\.0\.1:[0-9]+ \(TLS\)"#, options: .regularExpression)
                    else { return nil }
                    return Int(serve.stdout[range].split(separator: " ")[4].split(separator: ":").last ?? "")
                }
                var list = Microvm_Services_Api_V1alpha1_ListMicroVMsRequest()
                list.namespace = "tls"
                let request = list
                let auth = FlintlockFixture.basic(serve.apiKey)
                let trusted = try HTTP2ClientTransport.Posix(
                    target: .ipv4(address: "127.0.0.1", port: port),
                    transportSecurity: .tls { $0.trustRoots = .certificates([.file(path: tls.caFile, format: .pem)]) })
                try await withGRPCClient(transport: trusted) { grpc in
                    let client = MicroVMClient(wrapping: grpc)
                    _ = try await client.createMicroVM(simSpec("tls-1", namespace: "tls"), metadata: auth)
                    #expect(try await client.listMicroVMs(request, metadata: auth).microvm.map(\.spec.id) == ["tls-1"])
                    // The key is still required over TLS.
                    await #expect(throws: RPCError.self) { try await client.listMicroVMs(request) }
                }
                let rogue = try tls.other("rogue")
                let untrusted = try HTTP2ClientTransport.Posix(
                    target: .ipv4(address: "127.0.0.1", port: port),
                    transportSecurity: .tls { $0.trustRoots = .certificates([.file(path: rogue.caFile, format: .pem)]) })
                try await withGRPCClient(transport: untrusted) { grpc in
                    let error = await #expect(throws: RPCError.self) {
                        try await MicroVMClient(wrapping: grpc).listMicroVMs(request, metadata: auth)
                    }
                    #expect(error?.code == .unavailable, "\(String(describing: error))")
                }
                let plaintext = try HTTP2ClientTransport.Posix(
                    target: .ipv4(address: "127.0.0.1", port: port), transportSecurity: .plaintext)
                _ = try await withGRPCClient(transport: plaintext) { grpc in
                    await #expect(throws: RPCError.self) { try await MicroVMClient(wrapping: grpc).listMicroVMs(request, metadata: auth) }
                }
            }
        }
    }
}
