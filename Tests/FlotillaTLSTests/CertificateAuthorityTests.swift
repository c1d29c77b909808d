import FlotillaTLS
import Foundation
import NIOSSL
import SwiftASN1
import Testing
import X509

@Suite("Cluster CA and host certificates")
struct CertificateAuthorityTests {
    @Test("a host certificate names its host and SANs, serves and calls, and chains to the CA that issued it")
    func issuedCertificate() throws {
        let ca = try CertificateAuthority.create()
        let issued = try ca.issue(
            host: "h1", alternativeNames: [SubjectAlternativeName("127.0.0.1")!, SubjectAlternativeName("h1.example")!])
        let summary = try #require(try CertificateSummary.read(pem: issued.certificatePEM).first)
        #expect(summary.subject.contains("CN=h1"))
        #expect(summary.alternativeNames == ["DNS:h1", "IP:127.0.0.1", "DNS:h1.example"])
        #expect(summary.usages == ["server", "client"])
        #expect(!summary.isAuthority)
        #expect(!summary.isExpired())
        let authority = try #require(try CertificateSummary.read(pem: try ca.certificatePEM).first)
        #expect(authority.isAuthority)
        #expect(summary.issuer == authority.subject)
        let certificate = try Certificate(pemEncoded: issued.certificatePEM)
        #expect(
            try certificate.extensions.authorityKeyIdentifier?.keyIdentifier
                == ca.certificate.extensions.subjectKeyIdentifier?.keyIdentifier)
    }

    @Test(
        "SAN text: IPv4, IPv6 and DNS names are told apart; junk is refused",
        arguments: [
            ("10.0.0.1", "IP:10.0.0.1"), ("::1", "IP:::1"), ("Node-1.Example", "DNS:node-1.example"), ("*.local", "DNS:*.local"),
            ("", nil), ("a b", nil), ("host/1", nil), ("é.example", nil),
        ])
    func alternativeNames(text: String, expected: String?) {
        #expect(SubjectAlternativeName(text)?.description == expected)
    }

    @Test("a saved CA loads again, keeps its key owner-only and is never overwritten")
    func savedAuthority() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("flotilla-ca-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let ca = try CertificateAuthority.create(name: "test CA")
        try ca.save(directory: dir)
        let keyMode = try FileManager.default.attributesOfItem(atPath: dir + "/ca-key.pem")[.posixPermissions] as? Int
        let dirMode = try FileManager.default.attributesOfItem(atPath: dir)[.posixPermissions] as? Int
        #expect(keyMode == 0o600)
        #expect(dirMode == 0o700)
        let loaded = try CertificateAuthority.load(directory: dir)
        #expect(loaded.certificate == ca.certificate)
        #expect(throws: TLSFileError.self) { try CertificateAuthority.create().save(directory: dir) }
        #expect(try CertificateAuthority.load(directory: dir).certificate == ca.certificate)
    }

    @Test("a CA file whose key is another's, or a host certificate posing as a CA, is refused with the reason")
    func mismatchedAuthority() throws {
        let one = try CertificateAuthority.create()
        let other = try CertificateAuthority.create()
        let issued = try one.issue(host: "h1")
        let otherKey = try #require(try other.keyPEMForTesting())
        #expect(throws: TLSFileError.self) { try CertificateAuthority(certificatePEM: try one.certificatePEM, keyPEM: otherKey) }
        #expect(throws: TLSFileError.self) { try CertificateAuthority(certificatePEM: issued.certificatePEM, keyPEM: issued.keyPEM) }
    }

    @Test("an issued certificate and key load into NIOSSL as a server configuration")
    func loadsIntoNIOSSL() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("flotilla-tls-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let issued = try CertificateAuthority.create().issue(host: "h1", alternativeNames: [SubjectAlternativeName("127.0.0.1")!])
        try issued.save(certificate: dir + "/h1.pem", key: dir + "/h1-key.pem")
        #expect(try FileManager.default.attributesOfItem(atPath: dir + "/h1-key.pem")[.posixPermissions] as? Int == 0o600)
        let configuration = try TLSFiles.client(ca: nil, certificate: dir + "/h1.pem", key: dir + "/h1-key.pem")
        _ = try NIOSSLContext(configuration: configuration)
        #expect(throws: TLSFileError.self) { try TLSFiles.client(ca: nil, certificate: dir + "/h1.pem", key: nil) }
        #expect(throws: TLSFileError.self) { try TLSFiles.certificates(dir + "/missing.pem", what: "CA") }
    }
}
