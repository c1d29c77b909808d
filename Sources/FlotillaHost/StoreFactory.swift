import FlotillaCore
import FlotillaStore
import Logging
import ServiceLifecycle

/// Opens the cluster store `--store` names: `sqlite` (embedded, in the data folder) or
/// `etcd://HOST:PORT,HOST:PORT,...` (a real etcd cluster; its members' client URLs).
public enum StoreFactory {
    /// Opens the store, first making the data folder and its files readable by their owner only (ADR 0014);
    /// what had to be tightened is logged once, as a warning.
    public static func open(_ configuration: HostConfiguration, logger: Logger) throws -> any ClusterStore & Service {
        let tightened = try DataFolderPermissions.tighten(configuration.dataDir)
        if !tightened.isEmpty {
            logger.warning(
                "the data folder was readable by other users: now only by its owner (0700, files 0600)",
                metadata: ["paths": "\(tightened)"])
        }
        let spec = configuration.store
        if spec == "sqlite" {
            return try SQLiteClusterStore(path: configuration.dataDir + "/flotilla.sqlite", logger: logger.child("store"))
        }
        guard spec.hasPrefix("etcd://") else {
            throw HostError.configuration("--store must be sqlite or etcd://HOST:PORT[,HOST:PORT...], got \(spec)")
        }
        guard configuration.clusterSecret?.isEmpty == false else {
            throw HostError.configuration("--cluster-secret (or FLOTILLA_CLUSTER_SECRET) is required with an etcd store")
        }
        let members = spec.dropFirst("etcd://".count).split(separator: ",").map { "http://" + $0 }
        guard !members.isEmpty else { throw HostError.configuration("--store etcd:// names no member") }
        do {
            return try EtcdClusterStore(endpoints: members, logger: logger.child("store"))
        } catch {
            throw HostError.configuration("--store \(spec): \(error)")
        }
    }

    /// Releases what a store holds once every service stopped.
    static func close(_ store: any ClusterStore) async {
        if let etcd = store as? EtcdClusterStore { try? await etcd.close() }
        if let sqlite = store as? SQLiteClusterStore { try? sqlite.close() }
    }
}
