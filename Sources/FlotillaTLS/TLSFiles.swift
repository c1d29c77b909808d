import Foundation
import Logging
import NIOCertificateReloading
import NIOSSL
import SwiftASN1
import X509

/// TLS configurations built from PEM files (docs/decisions/0017-tls-and-the-cluster-secret.md).
public enum TLSFiles {
    /// How often a listener's certificate and key files are read again: a renewed certificate is in use this
    /// long after it is written, without a restart.
    public static let reloadInterval = Duration.seconds(2)

    /// A reloader of `certificate` and `key` that has read them once (and so refuses a missing or unreadable
    /// file, a key that is not the certificate's, at start). Run it as a service to keep reading them.
    public static func reloader(certificate: String, key: String, logger: Logger) throws -> TimedCertificateReloader {
        do {
            return try TimedCertificateReloader.makeReloaderValidatingSources(
                refreshInterval: reloadInterval,
                certificateSource: .init(location: .file(path: certificate), format: .pem),
                privateKeySource: .init(location: .file(path: key), format: .pem), logger: logger)
        } catch {
            throw TLSFileError("cannot use the certificate \(certificate) with the key \(key): \(error)")
        }
    }

    /// A listener's configuration: its certificate and key from `reloader`; with `clientCA`, a client that
    /// presents a certificate must present one that chains to it (hosts do; clients with API keys need none).
    public static func server(reloader: TimedCertificateReloader, clientCA: String?) throws -> TLSConfiguration {
        var configuration = try TLSConfiguration.makeServerConfiguration(certificateReloader: reloader)
        configuration.minimumTLSVersion = .tlsv12
        if let clientCA {
            configuration.trustRoots = .certificates(try certificates(clientCA, what: "cluster CA"))
            configuration.certificateVerification = .optionalVerification
        }
        return configuration
    }

    /// A client's configuration: trusts `ca` (nil: the system's roots), checks the server's name, and presents
    /// `certificate` with `key` when both are given.
    public static func client(ca: String?, certificate: String?, key: String?) throws -> TLSConfiguration {
        var configuration = TLSConfiguration.makeClientConfiguration()
        configuration.minimumTLSVersion = .tlsv12
        configuration.certificateVerification = .fullVerification
        if let ca { configuration.trustRoots = .certificates(try certificates(ca, what: "CA certificate")) }
        switch (certificate, key) {
        case (nil, nil): break
        case (let certificate?, let key?):
            configuration.certificateChain = try certificates(certificate, what: "client certificate").map { .certificate($0) }
            do {
                configuration.privateKey = .privateKey(try NIOSSLPrivateKey(file: key, format: .pem))
            } catch {
                throw TLSFileError("cannot read the private key \(key): \(error)")
            }
        default:
            throw TLSFileError("a client certificate needs both the certificate and its key")
        }
        return configuration
    }

    /// The certificates in the PEM file at `path`; `what` names it in errors.
    public static func certificates(_ path: String, what: String) throws -> [NIOSSLCertificate] {
        do {
            let found = try NIOSSLCertificate.fromPEMFile(path)
            guard !found.isEmpty else { throw TLSFileError("no certificate in it") }
            return found
        } catch {
            throw TLSFileError("cannot read the \(what) \(path): \(error)")
        }
    }

    /// The subject of a certificate NIOSSL holds (a peer's), as `CN=...,O=...`; nil when it cannot be read.
    public static func subject(of certificate: NIOSSLCertificate) -> String? {
        guard let der = try? certificate.toDERBytes(), let parsed = try? Certificate(derEncoded: der) else { return nil }
        return parsed.subject.description
    }

    /// The text of a small PEM file.
    static func readText(_ path: String, what: String) throws -> String {
        guard let text = try OwnerOnlyFile.read(path, what: what, limit: 64 << 10) else {
            throw TLSFileError("the \(what) \(path) does not exist or is empty")
        }
        return text
    }

    /// Writes a certificate (public) to `path`, mode 0644, whole or not at all.
    static func writePublic(_ text: String, to path: String) throws {
        do {
            try Data(text.utf8).write(to: URL(fileURLWithPath: path), options: .atomic)
            try FileManager.default.setAttributes([.posixPermissions: 0o644], ofItemAtPath: path)
        } catch {
            throw TLSFileError("cannot write \(path): \(error.localizedDescription)")
        }
    }
}

/// A certificate, key or CA file that cannot be used; the message says which and why.
public struct TLSFileError: Error, CustomStringConvertible, Sendable {
    public let message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}
