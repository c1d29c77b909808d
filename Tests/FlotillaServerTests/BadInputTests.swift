import FlotillaCore
import FlotillaHost
import FlotillaServer
import FlotillaTestSupport
import Foundation
import HTTPTypes
import Testing

/// The bad-input suite (issue 12): every route the server registers gets requests that must be refused — a
/// valid body with a bad query value, a malformed or mistyped body, names that break the name rules — and each
/// refusal must leave the cluster's state exactly as it was. The routes come from the route table and the query
/// parameters each accepts from `/openapi.json`, so a new route or parameter is covered (or fails the coverage
/// test) without editing this file's loop.
@Suite("Bad input: a rejected request never changes state", .serialized)
struct BadInputTests {
    @Test("every mutating route has a valid request here, so its bad variants differ from it by one thing only")
    func coverage() async throws {
        try await withProbe { _, host in
            let missing = host.host.routes.all.filter { !$0.cluster && $0.method != .get }
                .map { "\($0.method.rawValue) \($0.path)" }.filter { BadInput.validBodies[$0] == nil }
            #expect(missing.isEmpty, "no valid request written for: \(missing)")
        }
    }

    @Test("every bad query value, malformed body and bad name is refused in the surface's format; state is unchanged")
    func rejectedRequestsChangeNothing() async throws {
        try await withProbe { api, host in
            var fixture = try await BadInput.Fixture.make(api, host)
            let document = try await api.get("/openapi.json").json
            var requests = 0
            var kinds: [String: Int] = [:]
            var operations = Set<String>()
            var failures: [String] = []
            routes: for route in host.host.routes.all where !route.cluster && route.permission != nil {
                let key = "\(route.method.rawValue) \(route.path)"
                for variant in BadInput.variants(for: route, document: document, failures: &failures) {
                    let before = BadInput.Fingerprint(host)
                    let path = fixture.fill(route.path, unknown: variant.unknownId) + variant.query
                    let reply = try await api.call(route.method, path, json: variant.body)
                    requests += 1
                    kinds[variant.kind, default: 0] += 1
                    operations.insert(key)
                    let after = BadInput.Fingerprint(host)
                    let label = "\(route.method.rawValue) \(path) [\(variant.what)]"
                    if !(400..<500).contains(reply.status) {
                        failures.append("\(label): \(reply.status), not refused: \(reply.text.prefix(200))")
                    } else if !BadInput.isSurfaceError(reply, path: route.path) {
                        failures.append("\(label): \(reply.status) body is not the surface's error format: \(reply.text.prefix(200))")
                    }
                    if let change = before.difference(from: after) {
                        failures.append("\(label): \(reply.status), but the state changed: \(change)")
                        // Put the fixture back so the following variants still aim at live records.
                        do { fixture = try await BadInput.Fixture.make(api, host) } catch {
                            failures.append("the fixture could not be made again (\(error)); the run stops here")
                            break routes
                        }
                    }
                }
            }
            // The control: the valid creates really are valid, so their bad variants were refused for the bad part.
            for (key, body) in BadInput.controls {
                let parts = key.split(separator: " ", maxSplits: 1)
                let reply = try await api.call(HTTPRequest.Method(String(parts[0]))!, String(parts[1]), json: body)
                if !(200..<300).contains(reply.status) { failures.append("control \(key) answered \(reply.status): \(reply.text)") }
            }
            let byKind = kinds.sorted { $0.key < $1.key }.map { "\($0.value) \($0.key)" }.joined(separator: ", ")
            print("bad-input suite: \(operations.count) operations, \(requests) rejected requests (\(byKind)), \(failures.count) failures")
            #expect(requests > 300)
            #expect(failures.isEmpty, "\(failures.count) failures:\n\(failures.joined(separator: "\n"))")
        }
    }
}
