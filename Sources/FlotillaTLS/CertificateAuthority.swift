import Crypto
import Foundation
import SwiftASN1
import X509

/// A cluster's own certificate authority (docs/decisions/0017-tls-and-the-cluster-secret.md): a P-256 key and a
/// self-signed CA certificate that signs every host's certificate. Hosts trust exactly this CA for each other
/// (mutual TLS) and clients trust it for the hosts (`--cacert`).
public struct CertificateAuthority: Sendable {
    /// The CA certificate.
    public let certificate: Certificate
    private let key: Certificate.PrivateKey

    /// The file names of a CA folder (`flotilla cert init --dir DIR`).
    public static let certificateFile = "ca.pem"
    public static let keyFile = "ca-key.pem"

    /// A new CA named `name`, valid from five minutes ago (clocks of hosts differ a little) for `validity`.
    public static func create(name: String = "Flotilla cluster CA", validity: Duration = .days(3650), now: Date = Date())
        throws -> CertificateAuthority
    {
        let signer = Certificate.PrivateKey(P256.Signing.PrivateKey())
        let subject = try DistinguishedName {
            OrganizationName("Flotilla")
            CommonName(name)
        }
        let certificate = try Certificate(
            version: .v3, serialNumber: Certificate.SerialNumber(), publicKey: signer.publicKey,
            notValidBefore: now.addingTimeInterval(-300), notValidAfter: now.addingTimeInterval(validity.seconds),
            issuer: subject, subject: subject, signatureAlgorithm: .ecdsaWithSHA256,
            extensions: try Certificate.Extensions {
                Critical(BasicConstraints.isCertificateAuthority(maxPathLength: 0))
                Critical(KeyUsage(digitalSignature: true, keyCertSign: true, cRLSign: true))
                SubjectKeyIdentifier(hash: signer.publicKey)
            },
            issuerPrivateKey: signer)
        return CertificateAuthority(certificate: certificate, key: signer)
    }

    /// The CA of PEM texts (a certificate that is a CA, and the private key that matches it).
    public init(certificatePEM: String, keyPEM: String) throws {
        let certificate = try Certificate(pemEncoded: certificatePEM)
        let key = try Certificate.PrivateKey(pemEncoded: keyPEM)
        guard key.publicKey == certificate.publicKey else {
            throw TLSFileError("the CA key does not belong to the CA certificate")
        }
        guard let constraints = try certificate.extensions.basicConstraints, case .isCertificateAuthority = constraints else {
            throw TLSFileError("the certificate is not a CA certificate")
        }
        self.init(certificate: certificate, key: key)
    }

    private init(certificate: Certificate, key: Certificate.PrivateKey) {
        self.certificate = certificate
        self.key = key
    }

    /// The CA in `directory` (``certificateFile`` and ``keyFile``).
    public static func load(directory: String) throws -> CertificateAuthority {
        let certificate = try TLSFiles.readText((directory as NSString).appendingPathComponent(certificateFile), what: "CA certificate")
        let key = try TLSFiles.readText((directory as NSString).appendingPathComponent(keyFile), what: "CA key")
        return try CertificateAuthority(certificatePEM: certificate, keyPEM: key)
    }

    /// Writes the CA into `directory` (made 0700 if new): the certificate readable by all, the key owner-only.
    /// Refuses to overwrite an existing CA (every host certificate it signed would stop being trusted).
    public func save(directory: String) throws {
        let keyPath = (directory as NSString).appendingPathComponent(Self.keyFile)
        let certificatePath = (directory as NSString).appendingPathComponent(Self.certificateFile)
        for path in [keyPath, certificatePath] where FileManager.default.fileExists(atPath: path) {
            throw TLSFileError("\(path) exists: a CA is already there (remove it first to make a new one)")
        }
        try FileManager.default.createDirectory(
            atPath: directory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        try OwnerOnlyFile.save(try key.serializeAsPEM().pemString, to: keyPath, what: "CA key")
        try TLSFiles.writePublic(try certificate.serializeAsPEM().pemString, to: certificatePath)
    }

    /// The CA's private key in PEM (for tests that build a CA folder by hand).
    public func keyPEMForTesting() throws -> String { try key.serializeAsPEM().pemString }

    /// The CA certificate in PEM.
    public var certificatePEM: String {
        get throws { try certificate.serializeAsPEM().pemString }
    }

    /// A certificate for host `host` (its common name, and a DNS name among its SANs) with the given extra
    /// subject alternative names, for both server and client use (a host answers and calls other hosts),
    /// signed by this CA and valid from `notBefore` for `validity`.
    public func issue(
        host: String, alternativeNames: [SubjectAlternativeName] = [], validity: Duration = .days(365),
        notBefore: Date = Date().addingTimeInterval(-300)
    ) throws -> IssuedCertificate {
        let key = P256.Signing.PrivateKey()
        let publicKey = Certificate.PublicKey(key.publicKey)
        let names = ([.dns(host)] + alternativeNames).uniqued()
        let subject = try DistinguishedName {
            OrganizationName("Flotilla")
            CommonName(host)
        }
        let authorityKey = try certificate.extensions.subjectKeyIdentifier?.keyIdentifier
        let signed = try Certificate(
            version: .v3, serialNumber: Certificate.SerialNumber(), publicKey: publicKey,
            notValidBefore: notBefore, notValidAfter: notBefore.addingTimeInterval(validity.seconds),
            issuer: certificate.subject, subject: subject, signatureAlgorithm: .ecdsaWithSHA256,
            extensions: try Certificate.Extensions {
                Critical(BasicConstraints.notCertificateAuthority)
                Critical(KeyUsage(digitalSignature: true, keyEncipherment: true))
                try ExtendedKeyUsage([.serverAuth, .clientAuth])
                SubjectAlternativeNames(names.map(\.generalName))
                SubjectKeyIdentifier(hash: publicKey)
                if let authorityKey { AuthorityKeyIdentifier(keyIdentifier: authorityKey) }
            },
            issuerPrivateKey: self.key)
        return IssuedCertificate(certificatePEM: try signed.serializeAsPEM().pemString, keyPEM: key.pemRepresentation)
    }
}

/// A subject alternative name of a host certificate: a DNS name or an IP address.
public enum SubjectAlternativeName: Sendable, Hashable, CustomStringConvertible {
    case dns(String)
    case ip([UInt8])

    /// `text` as an IP address (v4 or v6) if it is one, else as a DNS name; nil when it is neither.
    public init?(_ text: String) {
        if let bytes = Self.address(text) {
            self = .ip(bytes)
        } else if !text.isEmpty, text.count <= 253,
            text.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-" || $0 == "." || $0 == "*") })
        {
            self = .dns(text.lowercased())
        } else {
            return nil
        }
    }

    var generalName: GeneralName {
        switch self {
        case .dns(let name): return .dnsName(name)
        case .ip(let bytes): return .ipAddress(ASN1OctetString(contentBytes: ArraySlice(bytes)))
        }
    }

    public var description: String {
        switch self {
        case .dns(let name): return "DNS:\(name)"
        case .ip(let bytes): return "IP:\(Self.text(bytes))"
        }
    }

    static func address(_ text: String) -> [UInt8]? {
        var v4 = in_addr()
        if inet_pton(AF_INET, text, &v4) == 1 { return withUnsafeBytes(of: &v4) { Array($0) } }
        var v6 = in6_addr()
        if inet_pton(AF_INET6, text, &v6) == 1 { return withUnsafeBytes(of: &v6) { Array($0) } }
        return nil
    }

    static func text(_ bytes: [UInt8]) -> String {
        var buffer = [CChar](repeating: 0, count: Int(INET6_ADDRSTRLEN))
        let family = bytes.count == 4 ? AF_INET : AF_INET6
        let ok = bytes.withUnsafeBytes { inet_ntop(family, $0.baseAddress, &buffer, socklen_t(buffer.count)) } != nil
        let text = String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        return ok ? text : bytes.map(String.init).joined(separator: ".")
    }
}

/// A host certificate and its private key, in PEM.
public struct IssuedCertificate: Sendable {
    public let certificatePEM: String
    public let keyPEM: String

    /// Writes the certificate (readable by all) and the key (owner-only) to the two paths.
    public func save(certificate certificatePath: String, key keyPath: String) throws {
        try OwnerOnlyFile.save(keyPEM, to: keyPath, what: "private key")
        try TLSFiles.writePublic(certificatePEM, to: certificatePath)
    }
}

extension Duration {
    /// `count` days.
    public static func days(_ count: Int) -> Duration { .seconds(count * 86_400) }

    /// Whole and fractional seconds, as a `TimeInterval`.
    var seconds: TimeInterval {
        let (s, a) = components
        return TimeInterval(s) + TimeInterval(a) / 1e18
    }
}

extension Array where Element: Hashable {
    fileprivate func uniqued() -> [Element] {
        var seen = Set<Element>()
        return filter { seen.insert($0).inserted }
    }
}
