import AsyncHTTPClient
import FlotillaHost
import Foundation
import Logging
import NIOSSL
import ServiceLifecycle

/// The proxy benchmark's two hosts on a single-member etcd of their own: `owner` runs the target instance and
/// `front` routes its status there. Plain HTTP, or (with certificates) TLS listeners with mutual TLS between
/// the hosts (docs/decisions/0017-tls-and-the-cluster-secret.md).
struct ProxyPair {
    /// "plain" or "mTLS": names the pair's lines and its ports.
    let name: String
    let etcd: BenchEtcd
    let owner: FlotillaHost
    let front: FlotillaHost
    /// What the benchmark's client trusts on this pair; nil: plain HTTP.
    let clientTLS: TLSConfiguration?

    var scheme: String { clientTLS == nil ? "http" : "https" }

    /// Starts the etcd and builds both hosts; the etcd is stopped again if a host cannot be built.
    static func start(
        name: String, dir: String, etcdBinary: String, simLatencyMs: Int, certificates: BenchCertificates?, logger: Logger
    ) async throws -> ProxyPair {
        let etcd = try await BenchEtcd.start(binary: etcdBinary, directory: dir + "/etcd")
        do {
            func host(_ id: String) async throws -> FlotillaHost {
                var config = ProxyBenchCommand.configuration(id: id, dir: dir, store: etcd.endpoint, simLatencyMs: simLatencyMs)
                config.tls = try certificates?.listener(id, mutual: true)
                return try await FlotillaHost.build(config, logger: logger)
            }
            return ProxyPair(
                name: name, etcd: etcd, owner: try await host("owner"), front: try await host("front"),
                clientTLS: try certificates?.client())
        } catch {
            etcd.stop()
            throw error
        }
    }

    /// Both hosts' services; their listeners report their ports to `ports` as `<name>/owner`, `<name>/front`.
    func services(ports: PortBox) -> [any Service] {
        let name = self.name
        let apps: [any Service] = [
            owner.application { port in await ports.set(name + "/owner", port) },
            front.application { port in await ports.set(name + "/front", port) },
        ]
        return owner.backgroundServices + front.backgroundServices + apps
    }
}
