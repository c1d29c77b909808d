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

    /// A namespace with nothing but loopback, `fltest-<label>-<pid>`: no veth, so nothing in the root namespace
    /// is made or changed; whatever a test makes inside (bridges, taps) goes with it. The caller deletes it
    /// with ``remove()`` (after the processes inside stopped); ``rootInterface`` and ``address`` are empty.
    public static func isolated(_ label: String) async throws -> NetworkNamespace {
        guard available else { throw ProcessFailure("network namespaces need root and \(ipPath)") }
        let ns = NetworkNamespace(name: "fltest-\(label)-\(getpid())", rootInterface: "", rootAddress: "", address: "")
        _ = try? await ip(["netns", "delete", ns.name])  // a leftover of an earlier run of this process id
        try await ip(["netns", "add", ns.name])
        do { try await ip(["-n", ns.name, "link", "set", "lo", "up"]) } catch {
            await ns.delete()
            throw error
        }
        return ns
    }

    /// Deletes the namespace (and the veth, when it has one); ignores what is already gone.
    public func remove() async { await delete() }

    /// Runs `command` inside the namespace (through `ip netns exec`) with a deadline; its exit status and output.
    /// The command runs under `timeout -s KILL` (status 137 when it was killed): a test's children inherit a
    /// mask that blocks most signals, so a program's own timer (busybox `ping -W`, `wget -T`) never fires and
    /// a SIGTERM is never seen.
    public func run(_ command: [String], timeout: Duration = .seconds(30)) async throws -> (status: Int32, out: String, err: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: Self.ipPath)
        let seconds = max(1, Int(timeout.components.seconds) - 1)
        process.arguments = ["netns", "exec", name, "/usr/bin/timeout", "-s", "KILL", "\(seconds)"] + command
        let run = try await ProcessRun.capture(process, timeout: timeout)
        if run.timedOut { throw ProcessFailure("\(command.joined(separator: " ")) in \(name) did not finish within \(timeout)") }
        return (run.status, run.out, run.err)
    }

    /// The interfaces inside (`ip -n NAME -j link`): name and interface index of each.
    public func links() async throws -> [(name: String, index: Int)] {
        let text = try await Self.output(["-n", name, "-j", "link"])
        guard let items = try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [[String: Any]] else { return [] }
        return items.compactMap { item in
            guard let name = item["ifname"] as? String, let index = item["ifindex"] as? Int else { return nil }
            return (name, index)
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
        if !rootInterface.isEmpty { _ = try? await Self.ip(["link", "delete", rootInterface]) }
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
