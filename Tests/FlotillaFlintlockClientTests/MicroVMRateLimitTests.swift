import FlotillaCluster
import FlotillaCore
import FlotillaHost
import FlotillaServer
import FlotillaTestSupport
import Foundation
import GRPCCore
import Testing

/// Surface E over real gRPC (ADR 0019): a key past its role's rate limit gets RESOURCE_EXHAUSTED with
/// `retry-after` in the trailing metadata; another key is not affected.
@Suite("Flintlock gRPC: rate limits")
struct MicroVMRateLimitTests {
    typealias List = Microvm_Services_Api_V1alpha1_ListMicroVMsRequest

    @Test("a reader past its burst gets RESOURCE_EXHAUSTED with retry-after; another reader is not affected")
    func resourceExhausted() async throws {
        try await FlintlockFixture.with(
            simLatency: .zero, configure: { $0.rateLimits = RateLimits([.reader: .init(rate: 0.5, burst: 2)]) }
        ) { f in
            let (_, busy) = try await f.host.host.keys.create(name: "busy", role: .reader)
            let (_, quiet) = try await f.host.host.keys.create(name: "quiet", role: .reader)
            var list = List()
            list.namespace = "team-a"
            for i in 0..<2 {
                #expect(
                    await rpcCode { _ = try await f.client.listMicroVMs(list, metadata: FlintlockFixture.basic(busy)) } == nil,
                    "call \(i) is within the burst")
            }
            do {
                _ = try await f.client.listMicroVMs(list, metadata: FlintlockFixture.basic(busy))
                Issue.record("the third call was not refused")
            } catch let error as RPCError {
                #expect(error.code == .resourceExhausted, "\(error)")
                #expect(error.message.hasPrefix("Too many requests for this API key"), "\(error.message)")
                #expect(Array(error.metadata[stringValues: "retry-after"]) == ["2"], "\(error.metadata)")
            }
            #expect(await rpcCode { _ = try await f.client.listMicroVMs(list, metadata: FlintlockFixture.basic(quiet)) } == nil)
            #expect(await rpcCode { _ = try await f.client.listMicroVMs(list, metadata: f.admin) } == nil, "admins unlimited here")
        }
    }
}
