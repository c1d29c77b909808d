import Foundation

/// Where the cluster store is, as `--store` names it (docs/configuration.md):
///
/// - `sqlite`: the embedded store in the data folder;
/// - `etcd://HOST:PORT[,HOST:PORT...]` or `etcds://...` over TLS: the client addresses of a real etcd cluster;
/// - `postgres://USER@HOST[:PORT]/DATABASE[?sslmode=disable|prefer|require|verify-full]` (or `postgresql://`): a PostgreSQL
///   database (ADR 0030). The password never goes in the address, where `ps` and logs would show it: it comes
///   from a file or the environment.
public enum StoreLocation: Sendable, Equatable {
    case sqlite
    case etcd(members: [String], tls: Bool)
    case postgres(PostgresAddress)

    /// A PostgreSQL database and how to reach it.
    public struct PostgresAddress: Sendable, Equatable {
        public var user: String
        public var host: String
        public var port: Int
        public var database: String
        public var tls: PostgresTLSMode

        public init(user: String, host: String, port: Int = 5432, database: String, tls: PostgresTLSMode = .prefer) {
            self.user = user
            self.host = host
            self.port = port
            self.database = database
            self.tls = tls
        }
    }

    /// libpq's `sslmode`: TLS never, when the server offers it, or always (these three, as in libpq, without
    /// checking the server's certificate), or always with the certificate checked against the CA and the host name.
    public enum PostgresTLSMode: String, Sendable, Equatable, CaseIterable {
        case disable, prefer, require
        case verifyFull = "verify-full"
    }

    /// The short name of the store's kind: `sqlite`, `etcd` or `postgres`.
    public var kind: String {
        switch self {
        case .sqlite: "sqlite"
        case .etcd: "etcd"
        case .postgres: "postgres"
        }
    }

    /// Parses `--store`; the error says what is wrong and what is accepted.
    public static func parse(_ text: String) throws(StoreLocationError) -> StoreLocation {
        if text == "sqlite" { return .sqlite }
        for (scheme, tls) in [("etcd://", false), ("etcds://", true)] where text.hasPrefix(scheme) {
            let members = text.dropFirst(scheme.count).split(separator: ",", omittingEmptySubsequences: false).map(String.init)
            guard !members.isEmpty, members.allSatisfy({ !$0.isEmpty }) else {
                throw StoreLocationError("--store \(scheme) names an empty member: \(text)")
            }
            return .etcd(members: members, tls: tls)
        }
        if text.hasPrefix("postgres://") || text.hasPrefix("postgresql://") { return .postgres(try postgres(text)) }
        throw StoreLocationError(
            "--store must be sqlite, etcd://HOST:PORT[,HOST:PORT...], etcds://HOST:PORT[,...] or postgres://USER@HOST[:PORT]/DATABASE, got \(text)"
        )
    }

    private static func postgres(_ text: String) throws(StoreLocationError) -> PostgresAddress {
        guard let url = URLComponents(string: text) else { throw StoreLocationError("--store \(text) is not a valid address") }
        guard url.password == nil else {
            throw StoreLocationError(
                "--store must not carry the PostgreSQL password, which the process list would show: put it in --postgres-password-file or FLOTILLA_POSTGRES_PASSWORD"
            )
        }
        guard let user = url.user, !user.isEmpty else {
            throw StoreLocationError("--store \(text) names no user: postgres://USER@HOST[:PORT]/DATABASE")
        }
        guard let host = url.host, !host.isEmpty else { throw StoreLocationError("--store \(text) names no host") }
        let database = String(url.path.drop(while: { $0 == "/" }))
        guard !database.isEmpty, !database.contains("/") else {
            throw StoreLocationError("--store \(text) names no database: postgres://USER@HOST[:PORT]/DATABASE")
        }
        var tls = PostgresTLSMode.prefer
        for item in url.queryItems ?? [] {
            guard item.name == "sslmode" else {
                throw StoreLocationError("--store \(text): unknown parameter \(item.name) (only sslmode is accepted)")
            }
            guard let mode = item.value.flatMap(PostgresTLSMode.init(rawValue:)) else {
                throw StoreLocationError("--store \(text): sslmode must be disable, prefer, require or verify-full")
            }
            tls = mode
        }
        let port = url.port ?? 5432
        guard (1...65535).contains(port) else { throw StoreLocationError("--store \(text): port \(port) is out of range") }
        return PostgresAddress(user: user.removingPercentEncoding ?? user, host: host, port: port, database: database, tls: tls)
    }
}

/// Why `--store` could not be used.
public struct StoreLocationError: Error, Sendable, Equatable, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}
