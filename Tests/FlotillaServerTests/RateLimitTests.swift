import FlotillaCore
import FlotillaHost
import FlotillaTestSupport
import Foundation
import HTTPTypes
import Testing

@testable import FlotillaCluster
@testable import FlotillaServer

/// Issue 14, deliver 7 (ADR 0019): per-key rate limits by role answer 429 with `Retry-After`, in each surface's
/// own error format; other keys are not affected; tokens come back.
@Suite("Rate limits: 429 with Retry-After on every surface")
struct RateLimitTests {
    /// Readers: a burst of 2, then a token every 2 s (so `Retry-After: 2`); admins unlimited, so the test's own
    /// calls are never refused.
    static let limits: @Sendable (inout HostConfiguration) -> Void = { config in
        config.rateLimits = RateLimits([.reader: .init(rate: 0.5, burst: 2)])
    }

    /// Checks a 429 in the surface's own error format.
    static func expectLimited(_ reply: Reply, surface: String) {
        #expect(reply.status == 429, "\(surface): \(reply.status) \(reply.text)")
        #expect(reply.headers[.retryAfter] == "2", "\(surface): Retry-After \(reply.headers[.retryAfter] ?? "none")")
        let json = reply.json
        switch surface {
        case "A", "D":
            #expect(reply.errorCode == "RATE_LIMITED", "\(surface): \(reply.text)")
            #expect((reply.error["details"] as? [String: any Sendable])?["retryAfter"] as? Int == 2, "\(reply.text)")
        case "B":
            #expect(json["error"] as? String == "Too Many Requests" && json["code"] as? Int == 429, "\(surface): \(reply.text)")
            #expect((json["message"] as? String)?.hasPrefix("Too many requests for this API key") == true, "\(reply.text)")
        case "C":
            #expect(json["error"] as? String == "RATE_LIMITED", "\(surface): \(reply.text)")
            #expect((json["details"] as? [String: any Sendable])?["retry_after"] as? Int == 2, "\(reply.text)")
            #expect(json["timestamp"] != nil)
        default:
            #expect(json["code"] as? Int == 8, "\(surface): grpc-gateway's RESOURCE_EXHAUSTED: \(reply.text)")
            #expect((json["message"] as? String)?.hasPrefix("Too many requests for this API key") == true, "\(reply.text)")
        }
    }

    @Test("a reader past its burst gets 429 with Retry-After on each surface in its own format")
    func limitedOnEverySurface() async throws {
        try await withProbe(configure: Self.limits) { api, _ in
            for (surface, path) in KeyLifecycleTests.surfaces {
                // A key of its own per surface: buckets are per key, across surfaces.
                let key = try await KeyLifecycleTests.createKey(api, "limited-\(surface.lowercased())")
                let holder = api.with(key: key.secret)
                for i in 0..<2 {
                    let r = try await holder.get(path)
                    #expect(r.status == 200, "\(surface) request \(i) within the burst: \(r.status) \(r.text)")
                }
                Self.expectLimited(try await holder.get(path), surface: surface)
            }
        }
    }

    @Test("the limiter holds one bucket per key in use, and drops those of deleted keys and full ones")
    func bucketsAreBounded() throws {
        let limiter = KeyRateLimiter(limits: RateLimits([.reader: .init(rate: 0.001, burst: 2), .admin: .init(rate: 1000, burst: 1)]))
        let reader = APIKeyRecord(id: "r", name: "r", role: .reader, secretHash: "aa", createdAt: Date())
        let other = APIKeyRecord(id: "o", name: "o", role: .reader, secretHash: "bb", createdAt: Date())
        let unlimited = APIKeyRecord(id: "u", name: "u", role: .operator, secretHash: "cc", createdAt: Date())
        try limiter.take(for: reader)
        try limiter.take(for: reader)
        #expect(throws: FlotillaError.rateLimited(retryAfter: 1000)) { try limiter.take(for: reader) }
        try limiter.take(for: other)
        try limiter.take(for: unlimited)
        #expect(limiter.count == 2, "no bucket for a role without a limit")
        limiter.retain(["r"])
        #expect(limiter.count == 1, "the bucket of a deleted key is dropped")
        #expect(throws: FlotillaError.self) { try limiter.take(for: reader) }
        limiter.retain([])
        #expect(limiter.count == 0)
    }

    @Test("one key's 429s leave another key alone, and its tokens come back after the wait")
    func otherKeysUnaffected() async throws {
        try await withProbe(configure: Self.limits) { api, _ in
            let busy = api.with(key: try await KeyLifecycleTests.createKey(api, "busy").secret)
            let quiet = api.with(key: try await KeyLifecycleTests.createKey(api, "quiet").secret)
            var statuses: [Int] = []
            for _ in 0..<4 { statuses.append(try await busy.get("/api/v1/compute/instances").status) }
            #expect(statuses.filter { $0 == 429 }.count >= 2, "\(statuses)")
            #expect(try await quiet.get("/api/v1/compute/instances").status == 200, "another reader keeps its own bucket")
            #expect(try await api.get("/api/v1/compute/instances").status == 200, "the admin role is unlimited here")
            // A token every 2 s: polled every 500 ms (each poll takes one when there is one), capped far above.
            try await eventually("the busy key's tokens come back", timeout: .seconds(30), every: .milliseconds(500)) {
                try await busy.get("/api/v1/compute/instances").status == 200
            }
        }
    }

    @Test("a forbidden request counts against its key's limit too; an unlimited role is never refused")
    func forbiddenCountsAndUnlimited() async throws {
        try await withProbe(configure: Self.limits) { api, _ in
            let reader = api.with(key: try await KeyLifecycleTests.createKey(api, "reader-writes").secret)
            // Writes a reader may not make: 403 within the burst, then 429 (a flood of refused calls is limited too).
            var statuses: [Int] = []
            for _ in 0..<3 { statuses.append(try await reader.call(.post, "/api/v1/compute/instances", json: "{}").status) }
            #expect(statuses == [403, 403, 429], "\(statuses)")
            var admin: [Int] = []
            for _ in 0..<50 { admin.append(try await api.get("/api/v1/workers").status) }
            #expect(Set(admin) == [200], "the admin role has no limit in this configuration")
        }
    }
}
