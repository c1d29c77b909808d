import FlotillaCluster
import FlotillaCore
import FlotillaHost
import FlotillaServer
import FlotillaTestSupport
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Synchronization
import Testing

/// Surface D's routed status against a stand-in owner host: what the hop sends to the owner and what the client gets back.
@Suite("Surface D: the routed status hop")
struct RoutedStatusTests {
    /// A stand-in for the owner's internal status route: records the headers of each call and answers by the client's
    /// request id: `r-error` a surface D error, `r-slow` only after 1.5 s, anything else a live status.
    final class FakeOwner: Sendable {
        let calls = Mutex<[HTTPFields]>([])
        static let errorBody = #"{"error":{"code":"NOT_FOUND","message":"Instance x is not on this host"}}"#

        func router() -> Router<BasicRequestContext> {
            let router = Router()
            router.get("/internal/v1/instances/:id/status") { request, _ -> Response in
                self.calls.withLock { $0.append(request.headers) }
                let json: HTTPFields = [.contentType: "application/json; charset=utf-8"]
                switch request.headers[.requestId] {
                case "r-error":
                    return Response(status: .notFound, headers: json, body: .init(byteBuffer: ByteBuffer(string: Self.errorBody)))
                case "r-slow":
                    try await Task.sleep(for: .milliseconds(1500))
                default:
                    break
                }
                let live = #"{"routed":false,"served_by":"fake-owner","state":"running"}"#
                return Response(status: .ok, headers: json, body: .init(byteBuffer: ByteBuffer(string: live)))
            }
            return router
        }
    }

    @Test(
        "a routed status carries the client's request id and the cluster credential to the owner, relays its live answer as routed and its error unchanged; past the proxy deadline 503 HOST_UNREACHABLE; a caller without a key never reaches the owner"
    )
    func routedHop() async throws {
        let owner = FakeOwner()
        try await withProbe(configure: { $0.proxyTimeout = .milliseconds(300) }) { probe, host in
            try await Application(router: owner.router()).test(.live) { ownerClient in
                let port = try #require(ownerClient.port)
                try await WorkerFixture.register(host, id: "fake-owner", zone: "zf", address: "http://127.0.0.1:\(port)")
                let created = try await probe.post(
                    "/api/v2/vms", GlobalRoutesTests.createBody("on-fake", placement: #"{"worker_id":"fake-owner"}"#))
                let id = try #require(created["id"])
                let placed = await host.host.registry.wait(timeout: .seconds(15)) {
                    $0.instances[id]?.value.workerId == "fake-owner" && $0.instances[id]?.value.state != .pending
                }
                #expect(placed != nil)
                let path = "/api/v2/vm/\(id)/status"
                let requestId = HTTPField.Name.requestId

                let live = try await probe.call(.get, path, headers: [requestId: "r-routed"])
                #expect(live.status == 200, "\(live.text)")
                #expect(live.text == #"{"routed":true,"served_by":"fake-owner","state":"running"}"#)
                #expect(live.headers[requestId] == "r-routed")
                let sent = try #require(owner.calls.withLock { $0.last })
                #expect(sent[requestId] == "r-routed", "the owner answers under the client's request id")
                #expect(sent[.clusterToken] == host.host.clusterCredential.token)
                #expect(sent[.forwardedBy] == "test-host")
                #expect(sent[.apiKey] == nil, "the client's key stays on this host")

                let failed = try await probe.call(.get, path, headers: [requestId: "r-error"])
                #expect(failed.status == 404)
                #expect(failed.text == FakeOwner.errorBody, "the owner's error comes back as it sent it")

                let slow = try await probe.call(.get, path, headers: [requestId: "r-slow"])
                #expect(slow.status == 503, "\(slow.text)")
                #expect(slow.errorCode == "HOST_UNREACHABLE")
                #expect((slow.error["details"] as? [String: Any])?["reason"] as? String == "no answer within the deadline")

                let before = owner.calls.withLock { $0.count }
                let anonymous = try await probe.with(key: nil).call(.get, path, headers: [requestId: "r-anonymous"])
                #expect(anonymous.status == 401)
                #expect(owner.calls.withLock { $0.count } == before)
            }
        }
    }
}
