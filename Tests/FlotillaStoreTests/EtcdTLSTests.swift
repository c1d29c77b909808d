import FlotillaCore
import FlotillaStore
import FlotillaTLS
import FlotillaTestSupport
import Foundation
import Testing

/// etcd over TLS with client certificates (docs/decisions/0020-etcd-over-tls.md), on a real 3-member etcd that
/// speaks TLS only and requires client certificates: the cluster's own client reads and writes; a client
/// without a certificate, with one from another CA, with an expired one, one that does not trust the members'
/// CA, and a plain http:// client are each refused with an error that names TLS (or the plain connection) and
/// the member; so is a TLS client of a plain member.
@Suite("etcd over TLS", .etcdAvailable, .sharedEtcdCluster(tls: true), .timeLimit(.minutes(2)))
struct EtcdTLSTests {
    @Test("a client with the cluster's CA and a client certificate it signed reads, writes and watches")
    func goodClient() async throws {
        let cluster = try EtcdCluster.shared()
        #expect(cluster.endpoints.allSatisfy { $0.hasPrefix("https://") })
        #expect(cluster.storeSpec.hasPrefix("etcds://127.0.0.1:"))
        let store = try cluster.store()
        do {
            let revision = try await store.put("tls/good", value: Data("over TLS".utf8), lease: nil)
            var watch = store.watch(prefix: "tls/good", fromRevision: revision).makeAsyncIterator()
            let read = try await store.get("tls/good")
            #expect(read.map { String(decoding: $0.value, as: UTF8.self) } == "over TLS")
            let batch = try await watch.next()
            #expect(batch?.events.first?.kv.key == "tls/good")
            try await store.close()
        } catch {
            try? await store.close()
            throw error
        }
    }

    @Test("a TLS client of a member that serves plain http is refused: the error says a plain member is etcd://")
    func tlsClientOfPlainMember() async throws {
        let cluster = try EtcdCluster.shared()
        try await withEtcdCluster(size: 1) { plain in
            let endpoint = "https://" + plain.endpoints[0].dropFirst("http://".count)
            let tls = try TLSFiles.client(ca: cluster.caFile, certificate: cluster.clientCertificateFile, key: cluster.clientKeyFile)
            let store = try EtcdClusterStore(endpoints: [endpoint], tls: tls)
            let error = await #expect(throws: StoreError.self) { try await store.get("tls/plain") }
            try? await store.close()
            let message = error.map { String(describing: $0) } ?? ""
            // The member answers the TLS hello with a 400 (the handshake fails: a TLS error) or resets the connection
            // first (no answer): which one is up to timing; either way the error names the member and the likely fix.
            #expect(message.contains("TLS with \(endpoint) failed") || message.contains("no answer from \(endpoint)"), "\(message)")
            #expect(message.contains("a plain member is etcd://, not etcds://"), "\(message)")
        }
    }

    /// A client that is refused, and what its error must say besides the member's URL.
    struct Refusal: Sendable, CustomTestStringConvertible {
        let name: String
        /// Words the error must contain (all of them), in lower case.
        let words: [String]
        let make: @Sendable (EtcdCluster, String) throws -> EtcdClusterStore

        var testDescription: String { name }
    }

    static let refusals: [Refusal] = [
        Refusal(name: "no client certificate", words: ["tls", "requires a client certificate"]) { cluster, _ in
            try EtcdClusterStore(endpoints: cluster.endpoints, tls: try TLSFiles.client(ca: cluster.caFile, certificate: nil, key: nil))
        },
        Refusal(name: "a client certificate from another CA", words: ["tls", "refused this host's client certificate"]) { cluster, folder in
            let other = try CertificateAuthority.create(name: "another CA")
            try other.issue(host: "intruder").save(certificate: folder + "/other.pem", key: folder + "/other-key.pem")
            let tls = try TLSFiles.client(ca: cluster.caFile, certificate: folder + "/other.pem", key: folder + "/other-key.pem")
            return try EtcdClusterStore(endpoints: cluster.endpoints, tls: tls)
        },
        Refusal(name: "an expired client certificate", words: ["tls", "refused this host's client certificate"]) { cluster, folder in
            guard let authority = cluster.authority else { throw ProcessFailure("the cluster has no CA: not a TLS cluster") }
            // Valid for one day, two days ago: signed by the right CA, but expired.
            try authority.issue(host: "expired", validity: .days(1), notBefore: Date().addingTimeInterval(-2 * 86_400))
                .save(certificate: folder + "/expired.pem", key: folder + "/expired-key.pem")
            let tls = try TLSFiles.client(ca: cluster.caFile, certificate: folder + "/expired.pem", key: folder + "/expired-key.pem")
            return try EtcdClusterStore(endpoints: cluster.endpoints, tls: tls)
        },
        Refusal(name: "a client that trusts another CA than the members'", words: ["tls", "did not verify"]) { cluster, folder in
            let other = try CertificateAuthority.create(name: "another CA")
            try other.save(directory: folder + "/other-ca")
            let tls = try TLSFiles.client(
                ca: folder + "/other-ca/" + CertificateAuthority.certificateFile, certificate: cluster.clientCertificateFile,
                key: cluster.clientKeyFile)
            return try EtcdClusterStore(endpoints: cluster.endpoints, tls: tls)
        },
        Refusal(name: "a plain http:// client", words: ["tls", "etcds://"]) { cluster, _ in
            try EtcdClusterStore(endpoints: cluster.endpoints.map { "http://" + $0.dropFirst("https://".count) })
        },
    ]

    @Test(
        "a client the members do not accept, or that does not accept them, is refused with an error naming TLS and the member",
        arguments: refusals)
    func refused(_ refusal: Refusal) async throws {
        let cluster = try EtcdCluster.shared()
        try await withTemporaryDirectory { folder in
            let store = try refusal.make(cluster, folder)
            let outcome: Result<KeyValue?, any Error>
            do { outcome = .success(try await store.get("tls/refused")) } catch { outcome = .failure(error) }
            // A write is refused the same way, and never applied.
            let write: (any Error)? = await {
                do {
                    _ = try await store.put("tls/refused", value: Data("x".utf8), lease: nil)
                    return nil
                } catch { return error }
            }()
            try? await store.close()
            guard case .failure(let error) = outcome else {
                Issue.record("\(refusal.name): the read was answered")
                return
            }
            let message = String(describing: error)
            #expect(error is StoreError, "\(message)")
            for word in refusal.words { #expect(message.lowercased().contains(word), "\(refusal.name): \(message)") }
            let members = cluster.endpoints.map { $0.dropFirst("https://".count) }
            #expect(members.contains { message.contains($0) }, "the error names a member: \(message)")
            #expect(write != nil, "\(refusal.name): the write was answered")
        }
        let good = try cluster.store()
        let stored = try await good.get("tls/refused")
        try await good.close()
        #expect(stored == nil, "a refused client's write was not applied")
    }
}
