import FlotillaCore
import NIOSSL
import PostgresNIO

extension PostgresClusterStore {
    /// The connection pool's configuration: TLS as the address asks (`prefer`: when the server offers it; the
    /// certificate is checked with `verify-full` only, as libpq does, against `tls`'s trust roots), the
    /// server's `statement_timeout` and `lock_timeout` at twice the client's deadline (a call the client gave up on
    /// does not go on holding the revision lock), and an application name that `pg_stat_activity` shows.
    static func clientConfiguration(
        _ address: StoreLocation.PostgresAddress, password: String?, tls: TLSConfiguration, requestTimeout: Duration
    ) throws -> PostgresClient.Configuration {
        var unchecked = tls
        unchecked.certificateVerification = .none
        let mode: PostgresClient.Configuration.TLS =
            switch address.tls {
            case .disable: .disable
            case .prefer: .prefer(unchecked)
            case .require: .require(unchecked)
            case .verifyFull: .require(tls)
            }
        var configuration = PostgresClient.Configuration(
            host: address.host, port: address.port, username: address.user, password: password, database: address.database, tls: mode)
        let serverTimeout = "\(2 * StoreRules.milliseconds(requestTimeout))"
        configuration.options.additionalStartupParameters = [
            ("application_name", "flotilla"), ("statement_timeout", serverTimeout), ("lock_timeout", serverTimeout),
        ]
        configuration.options.connectTimeout = requestTimeout
        configuration.options.maximumConnections = 16
        return configuration
    }
}
