import FlotillaCluster
import FlotillaCore
import FlotillaHost
import FlotillaServer
import FlotillaTestSupport
import Foundation
import GRPCCore
import Testing

/// Surface E over real gRPC on loopback, with the client generated in this target from the same .proto files.
@Suite("Flintlock gRPC MicroVM service")
struct MicroVMGRPCTests {
    typealias Get = Microvm_Services_Api_V1alpha1_GetMicroVMRequest
    typealias List = Microvm_Services_Api_V1alpha1_ListMicroVMsRequest
    typealias Delete = Microvm_Services_Api_V1alpha1_DeleteMicroVMRequest

    static func get(_ f: FlintlockFixture, _ uid: String) async throws -> Flintlock_Types_MicroVM {
        var r = Get()
        r.uid = uid
        return try await f.client.getMicroVM(r, metadata: f.admin).microvm
    }

    static func list(_ f: FlintlockFixture, namespace: String, name: String? = nil) async throws -> [Flintlock_Types_MicroVM] {
        var r = List()
        r.namespace = namespace
        if let name { r.name = name }
        return try await f.client.listMicroVMs(r, metadata: f.admin).microvm
    }

    @Test("Create -> Get (PENDING, then CREATED) -> List by namespace and name -> stream -> Delete (DELETING, then NOT_FOUND)")
    func lifecycle() async throws {
        try await FlintlockFixture.with { f in
            let created = try await f.client.createMicroVM(
                simSpec("web-1", namespace: "team-a", labels: ["tier": "web"]), metadata: f.admin
            ).microvm
            #expect(created.status.state == .pending)
            let uid = created.spec.uid
            #expect(ULID.isValid(uid), "uid \(uid) is a ULID")
            #expect(created.spec.id == "web-1")
            #expect(created.spec.namespace == "team-a")
            #expect(created.spec.labels == ["tier": "web"])
            #expect(created.spec.vcpu == 2)
            #expect(created.spec.memoryInMb == 1024)
            #expect(created.spec.provider == "sim")
            #expect(created.spec.rootVolume.source.containerSource == "ubuntu-22.04")

            #expect(try await Self.get(f, uid).status.state == .pending)
            let running = try await eventuallyValue("CREATED", timeout: .seconds(60)) {
                let vm = try await Self.get(f, uid)
                return vm.status.state == .created ? vm : nil
            }
            #expect(running.spec.labels == ["tier": "web"])

            _ = try await f.client.createMicroVM(simSpec("db-1", namespace: "team-a"), metadata: f.admin)
            _ = try await f.client.createMicroVM(simSpec("web-1", namespace: "team-b"), metadata: f.admin)
            #expect(Set(try await Self.list(f, namespace: "team-a").map(\.spec.id)) == ["web-1", "db-1"])
            #expect(try await Self.list(f, namespace: "team-a", name: "web-1").map(\.spec.uid) == [uid])
            #expect(try await Self.list(f, namespace: "").count == 3)
            #expect(Set(try await Self.list(f, namespace: "", name: "web-1").map(\.spec.namespace)) == ["team-a", "team-b"])
            #expect(try await Self.list(f, namespace: "nobody").isEmpty)

            var streamRequest = List()
            streamRequest.namespace = "team-a"
            let streamed = try await f.client.listMicroVMsStream(streamRequest, metadata: f.admin) { response in
                var names: [String] = []
                for try await message in response.messages { names.append(message.microvm.spec.id) }
                return names
            }
            #expect(Set(streamed) == ["web-1", "db-1"])

            var delete = Delete()
            delete.uid = uid
            _ = try await f.client.deleteMicroVM(delete, metadata: f.admin)
            #expect(try await Self.get(f, uid).status.state == .deleting)
            try await eventuallyValue("NOT_FOUND after delete", timeout: .seconds(60)) {
                await rpcCode { _ = try await Self.get(f, uid) } == .notFound ? true : nil
            }
            #expect(try await Self.list(f, namespace: "team-a").map(\.spec.id) == ["db-1"])
        }
    }

    @Test("bad requests: INVALID_ARGUMENT, NOT_FOUND or ALREADY_EXISTS, never UNKNOWN; nothing is created")
    func badRequests() async throws {
        try await FlintlockFixture.with(simLatency: .zero) { f in
            var noID = simSpec("x", namespace: "bad")
            noID.microvm.id = ""
            #expect(await rpcCode { _ = try await f.client.createMicroVM(noID, metadata: f.admin) } == .invalidArgument)
            var noSpec = Microvm_Services_Api_V1alpha1_CreateMicroVMRequest()
            noSpec.metadata = [:]
            #expect(await rpcCode { _ = try await f.client.createMicroVM(noSpec, metadata: f.admin) } == .invalidArgument)
            var unknownImage = simSpec("x", namespace: "bad")
            unknownImage.microvm.kernel.image = "no-such-image"
            #expect(await rpcCode { _ = try await f.client.createMicroVM(unknownImage, metadata: f.admin) } == .notFound)
            var badProvider = simSpec("x", namespace: "bad")
            badProvider.microvm.provider = "firecracker"
            #expect(await rpcCode { _ = try await f.client.createMicroVM(badProvider, metadata: f.admin) } == .invalidArgument)
            var badMetadata = simSpec("x", namespace: "bad")
            badMetadata.microvm.metadata = ["user-data": "not base64 %%%"]
            #expect(await rpcCode { _ = try await f.client.createMicroVM(badMetadata, metadata: f.admin) } == .invalidArgument)
            #expect(try await Self.list(f, namespace: "bad").isEmpty)

            for uid in ["", "not-a-ulid", "01ARYZ6S4K000000000000000U"] {
                #expect(await rpcCode { _ = try await Self.get(f, uid) } == .invalidArgument, "get \(uid)")
                var d = Delete()
                d.uid = uid
                #expect(await rpcCode { _ = try await f.client.deleteMicroVM(d, metadata: f.admin) } == .invalidArgument)
            }
            let unknown = ULID().description
            #expect(await rpcCode { _ = try await Self.get(f, unknown) } == .notFound)
            var d = Delete()
            d.uid = unknown
            #expect(await rpcCode { _ = try await f.client.deleteMicroVM(d, metadata: f.admin) } == .notFound)

            _ = try await f.client.createMicroVM(simSpec("twice", namespace: "bad"), metadata: f.admin)
            #expect(
                await rpcCode { _ = try await f.client.createMicroVM(simSpec("twice", namespace: "bad"), metadata: f.admin) }
                    == .alreadyExists)
            #expect(try await Self.list(f, namespace: "bad").count == 1)
        }
    }

    @Test("auth: basic and bearer keys; missing or wrong keys UNAUTHENTICATED; readers may not write")
    func auth() async throws {
        try await FlintlockFixture.with(simLatency: .zero) { f in
            let (_, reader) = try await f.host.host.keys.create(name: "reader", role: .reader)
            var list = List()
            list.namespace = ""
            #expect(await rpcCode { _ = try await f.client.listMicroVMs(list) } == .unauthenticated)
            #expect(
                await rpcCode { _ = try await f.client.listMicroVMs(list, metadata: FlintlockFixture.basic("wrong")) } == .unauthenticated)
            #expect(
                await rpcCode { _ = try await f.client.listMicroVMs(list, metadata: ["authorization": "basic %%%"]) } == .unauthenticated)
            #expect(await rpcCode { _ = try await f.client.listMicroVMs(list, metadata: FlintlockFixture.basic(reader)) } == nil)
            #expect(await rpcCode { _ = try await f.client.listMicroVMs(list, metadata: FlintlockFixture.bearer(reader)) } == nil)
            #expect(
                await rpcCode {
                    _ = try await f.client.createMicroVM(simSpec("r", namespace: "auth"), metadata: FlintlockFixture.basic(reader))
                }
                    == .permissionDenied)
            #expect(
                await rpcCode { _ = try await f.client.listMicroVMsStream(list, onResponse: { r in for try await _ in r.messages {} }) }
                    == .unauthenticated)
            #expect(
                await rpcCode {
                    _ = try await f.client.createMicroVM(
                        simSpec("b", namespace: "auth"), metadata: FlintlockFixture.bearer(f.host.adminKey))
                } == nil)
            #expect(try await Self.list(f, namespace: "auth").map(\.spec.id) == ["b"])
        }
    }
}
