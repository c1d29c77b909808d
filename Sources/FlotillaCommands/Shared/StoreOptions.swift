import ArgumentParser
import FlotillaHost
import Foundation

/// Which store a `flotilla store` command opens: the options of `flotilla serve` that choose it, with the same
/// variables and defaults.
struct StoreOptions: ParsableArguments {
    @Option(help: "Data folder: store, instance files (env FLOTILLA_DATA_DIR; default ./.flotilla).")
    var dataDir: String?
    @Option(
        help: """
            Cluster store: sqlite, etcd://HOST:PORT,HOST:PORT, etcds://... over TLS, or \
            postgres://USER@HOST:PORT/DATABASE[?sslmode=disable|prefer|require|verify-full] (env FLOTILLA_STORE; default sqlite).
            """)
    var store: String?
    @Option(
        help:
            "File holding the PostgreSQL store's password (env FLOTILLA_POSTGRES_PASSWORD_FILE, or the password itself in FLOTILLA_POSTGRES_PASSWORD)."
    )
    var postgresPasswordFile: String?
    @Option(
        help:
            "CA certificate (PEM) of the PostgreSQL server, checked with sslmode=verify-full (env FLOTILLA_POSTGRES_CACERT; default the system's roots)."
    )
    var postgresCacert: String?
    @Option(help: "CA certificate (PEM) of an etcds:// store's members (env FLOTILLA_ETCD_CACERT; default the system's roots).")
    var etcdCacert: String?
    @Option(help: "Client certificate (PEM) this host presents to an etcds:// store (env FLOTILLA_ETCD_CERT; needs --etcd-key).")
    var etcdCert: String?
    @Option(help: "Private key (PEM) of --etcd-cert (env FLOTILLA_ETCD_KEY).")
    var etcdKey: String?

    /// The options as given, for ``HostConfiguration/parse(store:environment:readFile:)``.
    var values: ServeOptions.Store {
        var o = ServeOptions.Store()
        (o.dataDir, o.store, o.postgresPasswordFile, o.postgresCacert) = (dataDir, store, postgresPasswordFile, postgresCacert)
        (o.etcdCacert, o.etcdCert, o.etcdKey) = (etcdCacert, etcdCert, etcdKey)
        return o
    }

    /// Refuses TLS options that do not fit the store as a usage error, before the command runs.
    func validate() throws {
        _ = try configuration()
    }

    /// A host configuration with these options (an option wins over its variable), checked as `serve` checks them.
    func configuration() throws -> HostConfiguration {
        try HostConfiguration.checked { try .parse(store: values, environment: ProcessInfo.processInfo.environment) }
    }
}
