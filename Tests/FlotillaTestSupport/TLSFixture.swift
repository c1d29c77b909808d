import AsyncHTTPClient
import FlotillaTLS
import Foundation
import NIOCore
import NIOHTTP1
import NIOSSL

/// A cluster CA in a temporary folder and the certificates a TLS test needs from it (ADR 0017), made with the
/// project's own `CertificateAuthority`, no openssl. Removed when ``with(_:)`` ends.
public struct TLSFixture: Sendable {
    public let directory: String
    public let ca: CertificateAuthority
    /// The CA certificate's file.
    public let caFile: String

    /// A fixture with a fresh CA in a new temporary folder, removed afterwards whatever `body` did.
    public static func with<T>(_ body: (TLSFixture) async throws -> T) async throws -> T {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("flotilla-tls-\(UUID().uuidString.prefix(8))").path
        defer { try? FileManager.default.removeItem(atPath: directory) }
        return try await body(try TLSFixture(directory: directory, name: "test cluster CA"))
    }

    /// Another CA in `directory` (a subfolder named after it): certificates a cluster must not trust.
    public func other(_ name: String) throws -> TLSFixture {
        try TLSFixture(directory: directory + "/" + name, name: name)
    }

    private init(directory: String, name: String) throws {
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        self.directory = directory
        ca = try CertificateAuthority.create(name: name)
        caFile = directory + "/ca.pem"
        try Data(try ca.certificatePEM.utf8).write(to: URL(fileURLWithPath: caFile))
    }

    /// A host certificate for `host` with `names` (default: 127.0.0.1 and localhost), written as
    /// `<directory>/<file>.pem` and `<file>-key.pem`; returns the two paths.
    @discardableResult
    public func issue(
        _ host: String, names: [String] = ["127.0.0.1", "localhost"], validity: Duration = .days(1),
        notBefore: Date = Date().addingTimeInterval(-300), file: String? = nil
    ) throws -> (certificate: String, key: String) {
        let base = directory + "/" + (file ?? host)
        let issued = try ca.issue(
            host: host, alternativeNames: names.compactMap(SubjectAlternativeName.init), validity: validity, notBefore: notBefore)
        try issued.save(certificate: base + ".pem", key: base + "-key.pem")
        return (base + ".pem", base + "-key.pem")
    }

    /// A certificate that expired yesterday.
    @discardableResult
    public func issueExpired(_ host: String) throws -> (certificate: String, key: String) {
        try issue(host, validity: .days(1), notBefore: Date().addingTimeInterval(-2 * 86_400), file: host + "-expired")
    }

    /// A client configuration that trusts this CA and presents `certificate` when given.
    public func client(presenting certificate: (certificate: String, key: String)? = nil) throws -> TLSConfiguration {
        try TLSFiles.client(ca: caFile, certificate: certificate?.certificate, key: certificate?.key)
    }
}

/// One HTTPS (or plain) request with AsyncHTTPClient under a deadline, on a client of its own that is shut down
/// afterwards: for tests of handshakes, where a pooled connection would hide the next one.
public enum HTTPSProbe {
    public static func get(
        _ url: String, tls: TLSConfiguration?, headers: [(String, String)] = [], timeout: Duration = .seconds(10)
    ) async throws -> (status: Int, body: String) {
        var configuration = HTTPClient.Configuration(tlsConfiguration: tls, redirectConfiguration: .disallow)
        configuration.connectionPool.retryConnectionEstablishment = false
        let client = HTTPClient(eventLoopGroup: HTTPClient.defaultEventLoopGroup, configuration: configuration)
        do {
            var request = HTTPClientRequest(url: url)
            for (name, value) in headers { request.headers.add(name: name, value: value) }
            let response = try await client.execute(request, timeout: .seconds(Int64(timeout.components.seconds)))
            let body = try await response.body.collect(upTo: 1 << 20)
            try await client.shutdown()
            return (Int(response.status.code), String(buffer: body))
        } catch {
            try? await client.shutdown()
            throw error
        }
    }
}
