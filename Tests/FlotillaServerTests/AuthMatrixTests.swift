import FlotillaCore
import FlotillaHost
import FlotillaTestSupport
import Foundation
import HTTPTypes
import Testing

@testable import FlotillaServer

/// Issue 12: every route the server registers (read from its ``RouteTable``, so a new route is covered without
/// touching this file) x every kind of caller. A route with a permission answers 401 to no key and a wrong key,
/// 403 to roles below it, and neither to roles that suffice; internal routes open to the cluster credential
/// only; open routes answer everyone. Every 401/403 is in the surface's own error shape, carries no revision,
/// and nothing answers 5xx.
@Suite("Auth matrix: every route x every credential")
struct AuthMatrixTests {
    /// Who calls.
    enum Caller: CaseIterable, CustomStringConvertible {
        case none, wrong, reader, `operator`, admin, cluster

        var role: Role? {
            switch self {
            case .reader: return .reader
            case .operator: return .operator
            case .admin: return .admin
            default: return nil
            }
        }

        var description: String {
            switch self {
            case .none: return "no credential"
            case .wrong: return "a wrong key"
            case .reader: return "reader"
            case .operator: return "operator"
            case .admin: return "admin"
            case .cluster: return "the cluster credential"
            }
        }
    }

    /// A path parameter that names nothing: every id, name, backend and key in the route table.
    static let missing = "00000000-0000-4000-8000-00000000dead"

    /// The route's path with every `:param` filled, and a query where the route would otherwise not end: the
    /// event stream of a caller who may read it is refused at parsing (`since=-1`) instead of streaming.
    static func target(_ route: RouteEntry) -> String {
        let path = route.path.split(separator: "/", omittingEmptySubsequences: false)
            .map { $0.hasPrefix(":") ? missing : String($0) }.joined(separator: "/")
        return route.path == "/api/v2/events" ? path + "?since=-1" : path
    }

    /// What `caller` must get from `route`: 401, 403, or nil for "let in" (neither).
    static func expected(_ route: RouteEntry, _ caller: Caller) -> Int? {
        if route.cluster {
            switch caller {
            case .cluster: return nil
            case .none, .wrong: return 401
            case .reader, .operator, .admin: return 403
            }
        }
        guard let permission = route.permission else { return nil }
        guard let role = caller.role else { return 401 }
        return role.grants(permission) ? nil : 403
    }

    /// Why `reply` is not the surface's own 401/403 body, or nil when it is.
    static func shapeProblem(_ reply: Reply, path: String) -> String? {
        let status = reply.status
        let json = reply.json
        switch Surface.of(path: path) {
        case .compute:
            let code = reply.errorCode
            return code == (status == 401 ? "UNAUTHORIZED" : "FORBIDDEN") ? nil : "surface A body expected: \(reply.text)"
        case .vms:
            let detail = json["detail"] as? [String: Any]
            let code = detail?["error"] as? String
            return code == (status == 401 ? "AUTHENTICATION_ERROR" : "AUTHORIZATION_ERROR")
                ? nil : "surface C body expected: \(reply.text)"
        case .workers:
            let ok = json["code"] as? Int == status && json["error"] is String && json["message"] is String
            return ok ? nil : "surface B body expected: \(reply.text)"
        case .flintlock:
            // grpc-gateway: UNAUTHENTICATED is 16, PERMISSION_DENIED 7.
            let ok = json["code"] as? Int == (status == 401 ? 16 : 7) && json["message"] is String
            return ok ? nil : "grpc-gateway body expected: \(reply.text)"
        }
    }

    @Test("every route x {none, wrong, reader, operator, admin, cluster}: 401/403 exactly where due, own error shape, no 5xx")
    func matrix() async throws {
        try await withProbe { api, host in
            var keys: [Caller: String] = [.admin: host.adminKey, .wrong: "flt_matrix_wrong_key_0123456789abcdef"]
            for caller in [Caller.reader, .operator] {
                let created = try await api.post("/api/v1/keys", #"{"name":"matrix-\#(caller)","role":"\#(caller)"}"#)
                #expect(created.status == 201, "\(created.text)")
                let secret = try #require(created["key"])
                keys[caller] = secret
            }
            let token = host.host.clusterCredential.token
            let routes = host.host.routes.all
            var requests = 0
            var failures: [String] = []
            for route in routes {
                let path = Self.target(route)
                let body = [.post, .put, .patch].contains(route.method) ? "{}" : nil
                for caller in Caller.allCases {
                    let headers: HTTPFields = caller == .cluster ? [HTTPField.Name("X-Flotilla-Cluster-Token")!: token] : [:]
                    let reply = try await api.with(key: keys[caller]).call(route.method, path, json: body, headers: headers)
                    requests += 1
                    let what = "\(route.method) \(route.path) as \(caller): \(reply.status)"
                    if reply.status >= 500 { failures.append("\(what) is a server error: \(reply.text)") }
                    switch Self.expected(route, caller) {
                    case nil:
                        if [401, 403].contains(reply.status) { failures.append("\(what), expected to be let in: \(reply.text)") }
                    case let status?:
                        if reply.status != status {
                            failures.append("\(what), expected \(status): \(reply.text)")
                        } else if let problem = Self.shapeProblem(reply, path: path) {
                            failures.append("\(what): \(problem)")
                        } else if status == 401 && reply.headers[HTTPField.Name("X-Flotilla-Revision")!] != nil {
                            failures.append("\(what) carries X-Flotilla-Revision")
                        }
                    }
                }
            }
            let counts =
                "auth matrix: \(routes.count) operations x \(Caller.allCases.count) credentials = \(requests) requests, "
                + "\(failures.count) failures"
            print(counts)
            #expect(routes.count >= 60, "the route table lists every operation")
            #expect(requests == routes.count * Caller.allCases.count)
            #expect(failures.isEmpty, "\(counts)\n\(failures.joined(separator: "\n"))")
        }
    }
}
