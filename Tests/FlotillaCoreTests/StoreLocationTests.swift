import FlotillaCore
import Testing

@Suite("Store location (--store)")
struct StoreLocationTests {
    typealias Address = StoreLocation.PostgresAddress

    @Test(
        "accepted addresses",
        arguments: [
            ("sqlite", StoreLocation.sqlite),
            ("etcd://10.0.0.1:2379", .etcd(members: ["10.0.0.1:2379"], tls: false)),
            ("etcds://a:2379,b:2379", .etcd(members: ["a:2379", "b:2379"], tls: true)),
            ("postgres://flotilla@db:5433/fleet", .postgres(Address(user: "flotilla", host: "db", port: 5433, database: "fleet"))),
            ("postgresql://u@127.0.0.1/f", .postgres(Address(user: "u", host: "127.0.0.1", database: "f"))),
            ("postgres://u@db/f?sslmode=disable", .postgres(Address(user: "u", host: "db", database: "f", tls: .disable))),
            ("postgres://u@db/f?sslmode=verify-full", .postgres(Address(user: "u", host: "db", database: "f", tls: .verifyFull))),
        ])
    func accepted(_ text: String, _ expected: StoreLocation) throws {
        #expect(try StoreLocation.parse(text) == expected)
    }

    @Test(
        "refused addresses say what is wrong",
        arguments: [
            ("mysql://u@db/f", "must be sqlite, etcd://"),
            ("etcd://", "empty member"),
            ("etcd://a:1,,b:2", "empty member"),
            ("postgres://u:secret@db/f", "must not carry the PostgreSQL password"),
            ("postgres://db/f", "names no user"),
            ("postgres://u@db", "names no database"),
            ("postgres://u@db/", "names no database"),
            ("postgres://u@db/f?sslmode=allow", "sslmode must be"),
            ("postgres://u@db/f?application_name=x", "unknown parameter"),
        ])
    func refused(_ text: String, _ message: String) {
        #expect {
            try StoreLocation.parse(text)
        } throws: { error in
            "\(error)".contains(message) && !"\(error)".contains("secret")
        }
    }
}
