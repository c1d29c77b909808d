import Crypto
import Foundation
import SwiftASN1
import X509

/// What `flotilla cert show` prints about one certificate.
public struct CertificateSummary: Sendable, Equatable, Codable {
    public var subject: String
    public var issuer: String
    public var alternativeNames: [String]
    public var notBefore: Date
    public var notAfter: Date
    public var isAuthority: Bool
    public var usages: [String]
    public var serial: String
    /// The SHA-256 of the DER encoding, in hex.
    public var fingerprint: String

    public init(_ certificate: Certificate) throws {
        subject = certificate.subject.description
        issuer = certificate.issuer.description
        alternativeNames = try (certificate.extensions.subjectAlternativeNames ?? SubjectAlternativeNames()).map(Self.name)
        notBefore = certificate.notValidBefore
        notAfter = certificate.notValidAfter
        if let constraints = try certificate.extensions.basicConstraints, case .isCertificateAuthority = constraints {
            isAuthority = true
        } else {
            isAuthority = false
        }
        usages = try (certificate.extensions.extendedKeyUsage.map { Array($0) } ?? []).map(Self.usage)
        serial = certificate.serialNumber.description
        var serializer = DER.Serializer()
        try serializer.serialize(certificate)
        fingerprint = SHA256.hash(data: serializer.serializedBytes).map { String(format: "%02x", $0) }.joined()
    }

    /// Every certificate of a PEM file.
    public static func read(_ path: String) throws -> [CertificateSummary] {
        try read(pem: try TLSFiles.readText(path, what: "certificate file"), source: path)
    }

    /// Every certificate of a PEM text; `source` names it in errors.
    public static func read(pem text: String, source: String = "the text") throws -> [CertificateSummary] {
        let documents: [PEMDocument]
        do {
            documents = try PEMDocument.parseMultiple(pemString: text).filter { $0.discriminator == "CERTIFICATE" }
        } catch {
            throw TLSFileError("\(source) is not PEM: \(error)")
        }
        guard !documents.isEmpty else { throw TLSFileError("\(source) holds no certificate") }
        return try documents.map { try CertificateSummary(Certificate(pemDocument: $0)) }
    }

    /// Whether the certificate is outside its validity period at `now`.
    public func isExpired(at now: Date = Date()) -> Bool { now > notAfter || now < notBefore }

    private static func name(_ name: GeneralName) -> String {
        switch name {
        case .dnsName(let dns): return "DNS:\(dns)"
        case .ipAddress(let bytes): return "IP:\(SubjectAlternativeName.text(Array(bytes.bytes)))"
        default: return "\(name)"
        }
    }

    private static func usage(_ usage: ExtendedKeyUsage.Usage) -> String {
        switch usage {
        case .serverAuth: return "server"
        case .clientAuth: return "client"
        default: return "\(usage)"
        }
    }
}
