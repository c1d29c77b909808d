import ArgumentParser
import FlotillaHost

/// Which store a `flotilla store` command opens: the options of `flotilla serve` that choose it, with the same
/// variables and defaults.
struct StoreOptions: ParsableArguments {
    @Option(help: "Cluster store: sqlite, etcd://HOST:PORT,HOST:PORT, or etcds://... over TLS (env FLOTILLA_STORE; default sqlite).")
    var store: String?
    @Option(help: "Data folder of a sqlite store (env FLOTILLA_DATA_DIR; default ./.flotilla).")
    var dataDir: String?
    @Option(help: "CA certificate (PEM) of an etcds:// store's members (env FLOTILLA_ETCD_CACERT; default the system's roots).")
    var etcdCacert: String?
    @Option(help: "Client certificate (PEM) to present to an etcds:// store (env FLOTILLA_ETCD_CERT; needs --etcd-key).")
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
        return c
    }
}
