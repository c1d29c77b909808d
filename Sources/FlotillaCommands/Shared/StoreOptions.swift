import ArgumentParser
import FlotillaHost

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

    /// Refuses TLS options that do not fit the store as a usage error, before the command runs.
    func validate() throws {
        _ = try configuration(Environment())
    }

    /// A host configuration with these options (an option wins over its variable), checked as `serve` checks them.
    func configuration(_ env: Environment) throws -> HostConfiguration {
        var c = HostConfiguration()
        try apply(to: &c, env)
        return c
    }

    /// Sets the data folder and the store's options of `c` (an option wins over its variable); TLS options that do
    /// not fit the store and an unreadable password file are usage errors.
    func apply(to c: inout HostConfiguration, _ env: Environment) throws {
        c.dataDir = dataDir ?? env["DATA_DIR"] ?? c.dataDir
        c.store = store ?? env["STORE"] ?? c.store
        c.etcdCACert = etcdCacert ?? env["ETCD_CACERT"]
        c.etcdCert = etcdCert ?? env["ETCD_CERT"]
        c.etcdKey = etcdKey ?? env["ETCD_KEY"]
        do {
            try StoreFactory.checkTLSOptions(c)
        } catch {
            throw ValidationError("\(error)")
        }
        c.postgresPassword = try Self.postgresPassword(file: postgresPasswordFile ?? env["POSTGRES_PASSWORD_FILE"], env)
        c.postgresCACert = postgresCacert ?? env["POSTGRES_CACERT"]
    }
}
