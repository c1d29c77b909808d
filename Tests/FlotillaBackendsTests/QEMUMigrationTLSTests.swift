import FlotillaBackends
import FlotillaCore
import FlotillaTLS
import FlotillaTestSupport
import Foundation
import Logging
import NIOSSL
import Testing

/// Live migration between two kvm backends whose tunnels use the cluster's TLS (docs/decisions/0027-live-migration.md):
/// the destination's listeners require a client certificate of the cluster CA, the source presents its host's.
@Suite(.serialized, .enabled(if: KVMTestSupport.enabled, KVMTestSupport.skipReason))
struct QEMUMigrationTLSTests {
    @Test func aGuestMovesOverMutualTLSAndADialerWithoutTheClientCertificateIsRefused() async throws {
        try await TLSFixture.with { fixture in
            let sourceCertificate = try fixture.issue("h1")
            let destinationCertificate = try fixture.issue("h2")
            let sourceTLS = MigrationTunnelTLS(server: nil, client: try fixture.client(presenting: sourceCertificate))
            let chain = try TLSFiles.certificates(destinationCertificate.certificate, what: "certificate")
            var server = TLSConfiguration.makeServerConfiguration(
                certificateChain: chain.map { .certificate($0) },
                privateKey: .privateKey(try NIOSSLPrivateKey(file: destinationCertificate.key, format: .pem)))
            server.trustRoots = .certificates(try TLSFiles.certificates(fixture.caFile, what: "CA"))
            let destinationTLS = MigrationTunnelTLS(server: server, client: nil, requirePeerCertificate: true)

            try await QEMUMigrationTests.withTwoBackends(tls: (sourceTLS, destinationTLS)) { source, destination, guest, root in
                let id = QEMUFixtures.newId()
                let request = QEMUFixtures.request(id: id, guest: guest)
                try await source.create(request)
                try await source.start(id: id)
                // Generous: a TCG boot takes seconds, more on a busy machine.
                try await eventually("the guest counts", timeout: .seconds(180), every: .milliseconds(500)) {
                    QEMUMigrationTests.ticks(try await source.console(id: id, lines: 400)).contains(2)
                }
                let incoming = try await destination.prepareIncoming(request, listenHost: "127.0.0.1", sharedStorage: nil)

                // A dialer that trusts the CA but presents no certificate: its TLS handshake is refused, and nothing
                // reaches the incoming QEMU (it takes one connection: the move below would fail had this one got in).
                let stranger = try await MigrationTunnelDialer.open(
                    socketPath: root + "/stranger.sock", to: incoming.migrationAddress, token: incoming.token,
                    tls: try fixture.client(), logger: Logger(label: "test.migration-tls"))
                let answer = try await UnixClient.exchange(path: stranger.socketPath, payload: Array("QEVM".utf8))
                #expect(answer.isEmpty)
                guard case .tlsHandshakeFailed? = stranger.lastError else {
                    Issue.record("expected a failed TLS handshake, got \(String(describing: stranger.lastError))")
                    await stranger.close()
                    return
                }
                await stranger.close()

                let figures = try await source.migrateOut(id: id, to: incoming, timeout: .seconds(240))
                try await destination.completeIncoming(id: id, timeout: .seconds(60))
                #expect(figures.memoryBytes > 0)
                #expect(try await destination.inspect(id: id).state == .running)
                let endedAt = try #require(QEMUMigrationTests.ticks(try await source.console(id: id, lines: 400)).last)
                try await eventually("the guest counts on over there", timeout: .seconds(60), every: .milliseconds(500)) {
                    (QEMUMigrationTests.ticks(try await destination.console(id: id, lines: 400)).last ?? -1) >= endedAt + 2
                }
                let console = try await destination.console(id: id, lines: 400)
                #expect(!console.contains(GuestImageFixture.marker), "booted again: \(console)")
            }
        }
    }
}
