import FlotillaCore
import FlotillaStore
import FlotillaTLS
import Logging
import NIOSSL
import ServiceLifecycle

/// Opens the cluster store `--store` names: `sqlite` (embedded, in the data folder),
/// `etcd://HOST:PORT,HOST:PORT,...` (a real etcd cluster; its members' client URLs) or
/// `etcds://HOST:PORT,...` (the same over TLS, with `--etcd-cacert`, `--etcd-cert` and `--etcd-key`;
/// docs/decisions/0020-etcd-over-tls.md).
public enum StoreFactory {
    /// Opens the store, first making the data folder and its files readable by their owner only (ADR 0014);
    /// what had to be tightened is logged once, as a warning.
    public static func open(_ configuration: HostConfiguration, logger: Logger) throws -> any ClusterStore & Service {
        try checkTLSOptions(configuration)
        let tightened = try DataFolderPermissions.tighten(configuration.dataDir)
        if !tightened.isEmpty {
            logger.warning(
                "the data folder was readable by other users: now only by its owner (0700, files 0600)",
                metadata: ["paths": "\(tightened)"])
        }
        let etcd = configuration.store.hasPrefix("etcd://") || configuration.store.hasPrefix("etcds://")
        if etcd && configuration.clusterSecret?.isEmpty != false {
            throw HostError.configuration("--cluster-secret (or FLOTILLA_CLUSTER_SECRET) is required with an etcd store")
        }
        return try openStore(configuration, logger: logger)
    }

    /// Opens the store `configuration.store` names, as ``open(_:logger:)`` does but for a tool rather than a host:
    /// the data folder is left as it is and no cluster secret is needed (`flotilla store export` and `import`).
    /// The SQLite store's ``SQLiteClusterStore/run()`` is needed only to expire leases; an etcd store needs nothing
    /// running. Close it with ``close(_:)``.
    public static func openStore(_ configuration: HostConfiguration, logger: Logger) throws -> any ClusterStore & Service {
        try checkTLSOptions(configuration)
        let spec = configuration.store
        if spec == "sqlite" {
            return try SQLiteClusterStore(path: configuration.dataDir + "/flotilla.sqlite", logger: logger.child("store"))
        }
        let secure = spec.hasPrefix("etcds://")
        guard secure || spec.hasPrefix("etcd://") else {
            throw HostError.configuration("--store must be sqlite, etcd://HOST:PORT[,HOST:PORT...] or etcds://HOST:PORT[,...], got \(spec)")
        }
        let scheme = secure ? "etcds://" : "etcd://"
        let members = spec.dropFirst(scheme.count).split(separator: ",").map { (secure ? "https://" : "http://") + $0 }
        guard !members.isEmpty else { throw HostError.configuration("--store \(scheme) names no member") }
        let tls = secure ? try tlsConfiguration(configuration) : nil
        do {
            return try EtcdClusterStore(endpoints: members, tls: tls, logger: logger.child("store"))
        } catch {
            throw HostError.configuration("--store \(spec): \(error)")
        }
    }

    /// Refuses TLS options that do not fit the store: TLS files with a store that is not `etcds://`, a client
    /// certificate without its key or the reverse. Files are read later, when the store opens.
    public static func checkTLSOptions(_ configuration: HostConfiguration) throws {
        let given = [
            ("--etcd-cacert", configuration.etcdCACert), ("--etcd-cert", configuration.etcdCert), ("--etcd-key", configuration.etcdKey),
        ].filter { $0.1 != nil }.map(\.0)
        if !given.isEmpty && !configuration.store.hasPrefix("etcds://") {
            let names = given.joined(separator: ", ")
            let (verb, pronoun) = given.count == 1 ? ("applies", "it") : ("apply", "them")
            if configuration.store.hasPrefix("etcd://") {
                throw HostError.configuration(
                    "\(names) \(verb) to etcd over TLS: use --store etcds://\(configuration.store.dropFirst("etcd://".count)) for TLS, "
                        + "or leave \(pronoun) out for plain etcd://")
            }
            throw HostError.configuration("\(names) \(verb) only to an etcds:// store, not to --store \(configuration.store)")
        }
        switch (configuration.etcdCert, configuration.etcdKey) {
        case (.some, nil): throw HostError.configuration("--etcd-cert needs --etcd-key: the client certificate's private key")
        case (nil, .some): throw HostError.configuration("--etcd-key needs --etcd-cert: the client certificate of that key")
        default: break
        }
    }

    /// The TLS of an `etcds://` store: trusts `--etcd-cacert` (or the system's roots), presents `--etcd-cert` with
    /// `--etcd-key` when given.
    static func tlsConfiguration(_ configuration: HostConfiguration) throws -> TLSConfiguration {
        do {
            return try TLSFiles.client(ca: configuration.etcdCACert, certificate: configuration.etcdCert, key: configuration.etcdKey)
        } catch {
            throw HostError.configuration("etcd TLS: \(error)")
        }
    }

    /// Releases what a store holds once every service stopped.
    public static func close(_ store: any ClusterStore) async {
        if let etcd = store as? EtcdClusterStore { try? await etcd.close() }
        if let sqlite = store as? SQLiteClusterStore { try? sqlite.close() }
    }
}
