import Foundation

/// A network namespace of a test's own, `flt-<random>`, joined to the root namespace by a veth pair: the root
/// side `10.213.X.1/30` (``rootAddress``), the namespace side `10.213.X.2/30` (``address``), loopback up in the
/// namespace, and a route to `10.213.0.0/16` through the root side (so the namespace reaches every other test
/// namespace's root-side address). Run a process inside with ``exec`` as a prefix. ``linkDown()`` takes the
/// root side down: the namespace is cut from everything outside it. Only interfaces it created are touched;
/// ``with(_:)`` deletes the namespace and the veth whatever the body did. Needs root and `ip` (iproute2).
public final class NetworkNamespace: Sendable {
    public let name: String
    /// The root side's interface name.
    public let rootInterface: String
    public let rootAddress: String
    public let address: String

    private init(name: String, rootInterface: String, rootAddress: String, address: String) {
        self.name = name
        self.rootInterface = rootInterface
        self.rootAddress = rootAddress
        self.address = address
    }

    /// The command prefix that runs a program inside: `["ip", "netns", "exec", name]`.
    public var exec: [String] { ["ip", "netns", "exec", name] }

    /// Whether namespaces can be made here (root, `ip` installed).
    public static var available: Bool { getuid() == 0 && FileManager.default.isExecutableFile(atPath: ipPath) }

    /// Creates a namespace, runs `body`, deletes it (awaited) whatever happens.
    public static func with<T: Sendable>(_ body: (NetworkNamespace) async throws -> T) async throws -> T {
        let namespace = try await create()
        do {
            let result = try await body(namespace)
            await namespace.delete()
            return result
        } catch {
            await namespace.delete()
            throw error
        }
    }

    /// Runs `body` with `count` namespaces, all deleted afterwards (last made, first deleted).
    public static func with<T: Sendable>(count: Int, _ body: ([NetworkNamespace]) async throws -> T) async throws -> T {
        guard count > 0 else { return try await body([]) }
        return try await with { first in
            try await with(count: count - 1) { rest in try await body([first] + rest) }
        }
    }

    /// Takes the root side of the veth down: nothing passes either way until ``linkUp()``.
    public func linkDown() async throws { try await Self.ip(["link", "set", rootInterface, "down"]) }

    /// Brings the root side back up (its address and routes come back with it).
    public func linkUp() async throws {
        try await Self.ip(["link", "set", rootInterface, "up"])
        // The kernel drops the address's routes with the link; re-adding is a no-op when they are back.
        _ = try? await Self.ip(["addr", "replace", "\(rootAddress)/30", "dev", rootInterface])
    }

    // MARK: Private

    private static let ipPath = "/usr/sbin/ip"

    private static func create() async throws -> NetworkNamespace {
        guard available else { throw ProcessFailure("network namespaces need root and \(ipPath)") }
        // A /30 in 10.213.0.0/16 not in use on this machine (its third octet picked at random; checked).
        let existing = try await output(["-o", "-4", "addr", "show"])
        var octet = Int.random(in: 1...254)
        for _ in 0..<50 where existing.contains("10.213.\(octet).") { octet = Int.random(in: 1...254) }
        let tag = String(UUID().uuidString.lowercased().prefix(6))
        let ns = NetworkNamespace(
            name: "flt-\(tag)", rootInterface: "flt\(tag)r", rootAddress: "10.213.\(octet).1", address: "10.213.\(octet).2")
        let inner = "flt\(tag)n"
        do {
            try await ip(["netns", "add", ns.name])
            try await ip(["link", "add", ns.rootInterface, "type", "veth", "peer", "name", inner])
            try await ip(["link", "set", inner, "netns", ns.name])
            try await ip(["addr", "add", "\(ns.rootAddress)/30", "dev", ns.rootInterface])
            try await ip(["link", "set", ns.rootInterface, "up"])
            try await ip(["-n", ns.name, "addr", "add", "\(ns.address)/30", "dev", inner])
            try await ip(["-n", ns.name, "link", "set", inner, "up"])
            try await ip(["-n", ns.name, "link", "set", "lo", "up"])
            try await ip(["-n", ns.name, "route", "add", "10.213.0.0/16", "via", ns.rootAddress])
        } catch {
            await ns.delete()
            throw error
        }
        return ns
    }

    /// Deletes the veth (both ends go together) and the namespace; each step ignores "not there".
    private func delete() async {
        _ = try? await Self.ip(["link", "delete", rootInterface])
        _ = try? await Self.ip(["netns", "delete", name])
    }

    /// Names of the namespaces that exist now (for tests that check nothing is left).
    public static func existing() async -> [String] {
        let text = (try? await output(["netns", "list"])) ?? ""
        return text.split(separator: "\n").compactMap { $0.split(separator: " ").first.map(String.init) }
    }

    private static func ip(_ arguments: [String]) async throws { _ = try await output(arguments) }

    /// Runs `ip` with a 10 s deadline; its standard output, or a failure with its standard error.
    private static func output(_ arguments: [String]) async throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: ipPath)
        process.arguments = arguments
        let run = try await ProcessRun.capture(process, timeout: .seconds(10))
        guard run.status == 0, !run.timedOut else {
            throw ProcessFailure("ip \(arguments.joined(separator: " ")) failed: \(run.err)")
        }
        return run.out
    }
}
