import Foundation
import Testing

/// The VM network of the live migration tests: one namespace per host (`fltest-<label><host>-<pid>`, the host's
/// `--vm-netns`), a bridge `br0` in each, the two bridges joined by a veth pair made between the namespaces, and
/// the gateway address on the first bridge, so the test pings guests from the first namespace wherever they run.
/// Nothing in the machine's own namespace is made or changed. Deleting the namespaces removes everything
/// (pushed on the stack by ``make(_:label:)``, so it runs after the hosts and their QEMUs stopped).
public struct MigrationNetwork: Sendable {
    public static let cidr = "10.78.0.0/24"
    public static let gateway = "10.78.0.1"
    public static let name = "mignet"

    /// The namespace of each host, by host id.
    public let namespaces: [String: NetworkNamespace]

    /// The namespace the test pings from (host a's, which holds the gateway address).
    // `make` makes a namespace for each of the hosts a and b.
    // swift-format-ignore: NeverForceUnwrap
    public var first: NetworkNamespace { namespaces["a"]! }

    /// `serve` arguments of host `id`: the network (an existing bridge, which Flotilla never changes) and the host's
    /// namespace.
    public func serveArguments(_ id: String) -> [String] {
        // Called with the ids of the fixture's hosts, each of which has a namespace.
        // swift-format-ignore: NeverForceUnwrap
        ["--network", "\(Self.name)=\(Self.cidr),gateway=\(Self.gateway),bridge=br0", "--vm-netns", namespaces[id]!.name]
    }

    public static func make(_ stack: FixtureStack, label: String) async throws -> MigrationNetwork {
        var namespaces: [String: NetworkNamespace] = [:]
        for id in MigrationHosts.ids {
            let ns = try await NetworkNamespace.isolated(label + id)
            await stack.push("namespace \(ns.name)") { await ns.remove() }
            namespaces[id] = ns
            try await ip(["-n", ns.name, "link", "add", "br0", "type", "bridge"])
            try await ip(["-n", ns.name, "link", "set", "br0", "up"])
        }
        let (a, b) = (try #require(namespaces["a"]).name, try #require(namespaces["b"]).name)
        // Made in a with its peer in b: neither end ever exists in the machine's own namespace.
        try await ip(["-n", a, "link", "add", "mig0", "type", "veth", "peer", "name", "mig1", "netns", b])
        try await ip(["-n", a, "link", "set", "mig0", "master", "br0", "up"])
        try await ip(["-n", b, "link", "set", "mig1", "master", "br0", "up"])
        try await ip(["-n", a, "addr", "add", "\(gateway)/24", "dev", "br0"])
        return MigrationNetwork(namespaces: namespaces)
    }

    /// Whether `address` answers one ping from the first namespace (a 5 s deadline: busybox's own -W timer never fires under the tests' blocked signals).
    public func answersPing(_ address: String) async -> Bool {
        (try? await first.run(["busybox", "ping", "-c", "1", address], timeout: .seconds(5)).status) == 0
    }

    private static func ip(_ arguments: [String]) async throws {
        _ = try await KVMTestSupport.run("/usr/sbin/ip", arguments, timeout: .seconds(10))
    }
}
