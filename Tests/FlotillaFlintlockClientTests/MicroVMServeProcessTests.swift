import FlotillaTestSupport
import Foundation
import GRPCCore
import GRPCNIOTransportHTTP2
import Testing

/// A real `flotilla serve` process serves surface E on its gRPC port and stops gracefully with it.
@Suite("flotilla serve serves Flintlock gRPC", .serialized)
struct MicroVMServeProcessTests {
    @Test("serve prints its gRPC port, answers a Flintlock client there, and exits 0 on SIGTERM")
    func serveProcess() async throws {
        try await FixtureStack.with { stack in
            let serve = try await stack.serve(dataDir: try await stack.temporaryDirectory("grpc"))
            let port = try await eventuallyValue("the gRPC port line", timeout: .seconds(60)) { () -> Int? in
                guard let range = serve.stdout.range(of: #"flintlock grpc listening on 127\.0\.0\.1:[0-9]+"#, options: .regularExpression)
                else { return nil }
                return Int(serve.stdout[range].split(separator: ":").last ?? "")
            }
            #expect(port != 9090, "test hosts take a free port")
            let transport = try HTTP2ClientTransport.Posix(target: .ipv4(address: "127.0.0.1", port: port), transportSecurity: .plaintext)
            try await withGRPCClient(transport: transport) { grpc in
                let client = MicroVMClient(wrapping: grpc)
                let auth = FlintlockFixture.basic(serve.apiKey)
                let created = try await client.createMicroVM(simSpec("proc-1", namespace: "proc"), metadata: auth).microvm
                #expect(created.status.state == .pending)
                var request = Microvm_Services_Api_V1alpha1_GetMicroVMRequest()
                request.uid = created.spec.uid
                let get = request
                try await eventuallyValue("CREATED", timeout: .seconds(60)) {
                    try await client.getMicroVM(get, metadata: auth).microvm.status.state == .created ? true : nil
                }
                var list = Microvm_Services_Api_V1alpha1_ListMicroVMsRequest()
                list.namespace = "proc"
                #expect(try await client.listMicroVMs(list, metadata: auth).microvm.map(\.spec.id) == ["proc-1"])
            }
            #expect(await serve.stop() == 0, "graceful shutdown, gRPC listener included")
        }
    }
}
