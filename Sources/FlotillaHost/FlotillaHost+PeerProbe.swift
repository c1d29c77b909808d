import FlotillaCluster
import FlotillaCore
import Foundation
import Logging

extension FlotillaHost {
    /// The peer probes of a host that takes part in them (`--peer-probe-port`, docs/decisions/0035-peer-probes.md): a
    /// UDP socket on the listen host, advertised under the host name of `--advertise`, signed with the cluster secret.
    static func peerProbe(
        _ configuration: HostConfiguration, store: any ClusterStore, registry: RegistryCache, clusterSecret: String, logger: Logger
    ) async throws -> PeerProbe? {
        guard let port = configuration.peerProbePort else { return nil }
        let advertised = URLComponents(string: configuration.advertiseAddress)?.host ?? configuration.listenHost
        let transport: UDPProbeTransport
        do {
            transport = try await UDPProbeTransport.bind(host: configuration.listenHost, port: port, advertisedHost: advertised)
        } catch {
            throw HostError.cannotListen(address: "\(configuration.listenHost):\(port)", option: "--peer-probe-port", reason: "\(error)")
        }
        return PeerProbe(
            workerId: configuration.hostId, store: store, registry: registry, ring: ProbeRingSource(registry: registry),
            transport: transport, key: ProbeKey(clusterSecret: clusterSecret), logger: logger.child("peer-probe"))
    }
}
