import FlotillaCluster
import FlotillaCore
import FlotillaHost
import FlotillaServer
import FlotillaTestSupport
import Foundation
import GRPCCore
import SwiftProtobuf
import Testing

/// gRPC server reflection on the MicroVM service's server: v1 through this target's own client, v1alpha through
/// grpcio-reflection's Python client (Tests/Fixtures/grpc_reflection_check.py).
@Suite("Flintlock gRPC server reflection")
struct MicroVMReflectionTests {
    typealias Request = Grpc_Reflection_V1_ServerReflectionRequest
    typealias Response = Grpc_Reflection_V1_ServerReflectionResponse

    static let services = [
        "grpc.reflection.v1.ServerReflection", "grpc.reflection.v1alpha.ServerReflection", "microvm.services.api.v1alpha1.MicroVM",
    ]

    /// Sends `requests` on one stream and collects the answers.
    static func ask(_ f: FlintlockFixture, _ requests: [Request], metadata: Metadata? = nil) async throws -> [Response] {
        try await f.reflection.serverReflectionInfo(
            metadata: metadata ?? f.admin,
            requestProducer: { writer in
                for request in requests { try await writer.write(request) }
            },
            onResponse: { response in
                var answers: [Response] = []
                for try await message in response.messages { answers.append(message) }
                return answers
            })
    }

    static func request(_ edit: (inout Request) -> Void) -> Request {
        var r = Request()
        r.host = "localhost"
        edit(&r)
        return r
    }

    static func fileNames(_ response: Response) throws -> [String] {
        try response.fileDescriptorResponse.fileDescriptorProto.map {
            try Google_Protobuf_FileDescriptorProto(serializedBytes: $0).name
        }
    }

    @Test("v1: lists the services; files by name and by symbol with their imports; NOT_FOUND for the rest")
    func v1() async throws {
        try await FlintlockFixture.with(simLatency: .zero) { f in
            let answers = try await Self.ask(
                f,
                [
                    Self.request { $0.listServices = "" },
                    Self.request { $0.fileByFilename = "microvm/services/api/v1alpha1/microvms.proto" },
                    Self.request { $0.fileContainingSymbol = "flintlock.types.MicroVMSpec" },
                    Self.request { $0.fileContainingSymbol = "microvm.services.api.v1alpha1.MicroVM.CreateMicroVM" },
                    Self.request { $0.fileContainingSymbol = "flintlock.types.NetworkInterface.IfaceType" },
                    Self.request { $0.fileContainingSymbol = "grpc.reflection.v1alpha.ServerReflection" },
                    Self.request { $0.fileContainingSymbol = "no.such.Symbol" },
                    Self.request { $0.fileByFilename = "no/such.proto" },
                ])
            try #require(answers.count == 8)
            #expect(answers[0].listServicesResponse.service.map(\.name) == Self.services)
            #expect(answers[0].validHost == "localhost")
            #expect(answers[0].originalRequest.listServices == "")
            #expect(
                try Self.fileNames(answers[1]) == [
                    "microvm/services/api/v1alpha1/microvms.proto", "google/protobuf/any.proto", "google/protobuf/empty.proto",
                    "flintlock/types/microvm.proto", "google/protobuf/timestamp.proto",
                ])
            #expect(try Self.fileNames(answers[2]) == ["flintlock/types/microvm.proto", "google/protobuf/timestamp.proto"])
            #expect(try Self.fileNames(answers[3]).first == "microvm/services/api/v1alpha1/microvms.proto")
            #expect(try Self.fileNames(answers[4]).first == "flintlock/types/microvm.proto")
            #expect(try Self.fileNames(answers[5]) == ["grpc/reflection/v1alpha/reflection.proto"])
            let spec = try Google_Protobuf_FileDescriptorProto(
                serializedBytes: answers[2].fileDescriptorResponse.fileDescriptorProto[0])
            #expect(spec.messageType.contains { $0.name == "MicroVMSpec" })
            for (answer, what) in [(answers[6], "no.such.Symbol"), (answers[7], "no/such.proto")] {
                #expect(answer.errorResponse.errorCode == 5, "\(what): NOT_FOUND")
                #expect(answer.errorResponse.errorMessage.contains(what))
            }
        }
    }

    @Test("the same keys as the MicroVM service: none or a wrong one is UNAUTHENTICATED; a reader may reflect")
    func auth() async throws {
        try await FlintlockFixture.with(simLatency: .zero) { f in
            let list = [Self.request { $0.listServices = "" }]
            #expect(await rpcCode { _ = try await Self.ask(f, list, metadata: [:]) } == .unauthenticated)
            #expect(await rpcCode { _ = try await Self.ask(f, list, metadata: FlintlockFixture.basic("wrong")) } == .unauthenticated)
            let (_, reader) = try await f.host.host.keys.create(name: "reader", role: .reader)
            let answers = try await Self.ask(f, list, metadata: FlintlockFixture.bearer(reader))
            #expect(answers.first?.listServicesResponse.service.count == 3)
        }
    }

    /// The Python interpreter of the venv scripts/test.sh makes with grpcio and grpcio-reflection.
    static let python: String = {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        return ProcessInfo.processInfo.environment["FLOTILLA_GRPC_PYTHON"]
            ?? root.appendingPathComponent(".build/grpc-reflection-venv/bin/python").path
    }()
    static var pythonReady: Bool {
        FileManager.default.isExecutableFile(atPath: python) || ProcessInfo.processInfo.environment["FLOTILLA_REQUIRE_REAL"] == "1"
    }

    @Test(
        "v1alpha through grpcio-reflection's Python client: services, the MicroVM service's file, a message and its imports",
        .enabled(if: pythonReady, "no .build/grpc-reflection-venv (scripts/test.sh makes it)"))
    func pythonClient() async throws {
        try #require(FileManager.default.isExecutableFile(atPath: Self.python), "\(Self.python) (scripts/test.sh makes it)")
        let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Fixtures/grpc_reflection_check.py").path
        try await FlintlockFixture.with(simLatency: .zero) { f in
            let run = try await Self.runToEnd(Self.python, [script, "127.0.0.1:\(f.port)", f.host.adminKey])
            #expect(run.status == 0, "\(run.output)")
            #expect(run.output.contains("reflection checks: 8 of 8 hold"), "\(run.output)")
        }
    }

    /// Runs a program to its end with its output in a file, polling without blocking a thread: the program talks
    /// to this process's own gRPC server, which needs the cooperative threads a blocking pipe read would hold.
    /// Killed after a generous cap for a loaded machine (the checks take well under a second).
    static func runToEnd(_ executable: String, _ arguments: [String]) async throws -> (status: Int32, output: String) {
        let log = FileManager.default.temporaryDirectory.appendingPathComponent("reflection-check-\(UUID().uuidString).log")
        guard FileManager.default.createFile(atPath: log.path, contents: nil) else { throw CocoaError(.fileWriteUnknown) }
        defer { try? FileManager.default.removeItem(at: log) }
        let handle = try FileHandle(forWritingTo: log)
        defer { try? handle.close() }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        process.standardOutput = handle
        process.standardError = handle
        try process.run()
        await process.exits(within: .seconds(60), every: .milliseconds(50))
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        process.waitUntilExit()
        return (process.terminationStatus, (try? String(contentsOf: log, encoding: .utf8)) ?? "")
    }
}
