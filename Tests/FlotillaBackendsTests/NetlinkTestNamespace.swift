import FlotillaTestSupport
import Foundation
import Testing

/// A network namespace of one test, `fltest-nl-<pid>-<random>`, with nothing in it but loopback, deleted after the
/// test whatever happened (every device in it goes with it). Only `ip` commands with `-n` (inside it) run here:
/// the machine's own namespace is never changed. Needs root and iproute2.
struct NetlinkTestNamespace {
    let name: String

    static let ipPath = "/usr/sbin/ip"

    /// Whether the tests can run here (root, `ip` installed), or must (`FLOTILLA_REQUIRE_REAL=1`).
    static var enabled: Bool {
        ProcessInfo.processInfo.environment["FLOTILLA_REQUIRE_REAL"] == "1"
            || (getuid() == 0 && FileManager.default.isExecutableFile(atPath: ipPath))
    }
    static let skipReason: Comment = "network namespaces need root and iproute2 (FLOTILLA_REQUIRE_REAL=1 makes this a failure)"

    /// Creates the namespace, runs `body`, deletes it (awaited) whatever happens.
    static func with<T>(_ body: (NetlinkTestNamespace) async throws -> T) async throws -> T {
        let namespace = NetlinkTestNamespace(name: "fltest-nl-\(getpid())-\(UUID().uuidString.prefix(6).lowercased())")
        try await run(["netns", "add", namespace.name])
        do {
            let result = try await body(namespace)
            try await run(["netns", "delete", namespace.name])
            return result
        } catch {
            _ = try? await run(["netns", "delete", namespace.name])
            throw error
        }
    }

    /// Runs `ip -n NAME <arguments>`; its output.
    @discardableResult
    func ip(_ arguments: [String]) async throws -> String { try await Self.run(["-n", name] + arguments) }

    /// `ip -j -d link show dev DEVICE` inside: the device's JSON object, nil when it does not exist.
    func link(_ device: String) async throws -> [String: Any]? {
        guard let text = try? await ip(["-j", "-d", "link", "show", "dev", device]) else { return nil }
        return (try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [[String: Any]])?.first
    }

    /// The IPv4 addresses of `device` inside, as `ADDRESS/PREFIX`.
    func addresses(_ device: String) async throws -> [String] {
        let text = try await ip(["-j", "-4", "addr", "show", "dev", device])
        let objects = try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [[String: Any]] ?? []
        return objects.flatMap { ($0["addr_info"] as? [[String: Any]]) ?? [] }.compactMap { info in
            guard let local = info["local"] as? String, let length = info["prefixlen"] as? Int else { return nil }
            return "\(local)/\(length)"
        }
    }

    /// Runs `ip` with a 10 s deadline; a failure carries its standard error.
    @discardableResult
    static func run(_ arguments: [String]) async throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: ipPath)
        process.arguments = arguments
        let result = try await ProcessRun.capture(process, timeout: .seconds(10))
        guard result.status == 0, !result.timedOut else {
            throw ProcessFailure("ip \(arguments.joined(separator: " ")) failed: \(result.err)")
        }
        return result.out
    }
}
