import ArgumentParser
import FlotillaClient
import FlotillaTLS
import Foundation
import NIOSSL

/// How the client commands print results.
enum OutputFormat: String, ExpressibleByArgument, CaseIterable, Sendable {
    /// Aligned columns and `key: value` lines for people.
    case table
    /// The wire JSON, pretty-printed, for scripts.
    case json
}

/// `--url`, `--api-key`, `--output`, shared by every client command.
struct ClientOptions: ParsableArguments {
    static let defaultURL = "http://127.0.0.1:8080"

    @Option(help: "The server's URL (default: $FLOTILLA_URL, else \(ClientOptions.defaultURL)).")
    var url: String?

    @Option(help: "The API key (default: $FLOTILLA_API_KEY).")
    var apiKey: String?

    @Option(help: "Output format: table or json.")
    var output: OutputFormat = .table

    @Option(help: "The CA that signed the server's certificate, PEM (default: $FLOTILLA_CACERT, else the system's roots).")
    var cacert: String?

    @Option(help: "A client certificate to present, PEM (default: $FLOTILLA_CERT); needs --key.")
    var cert: String?

    @Option(help: "The private key of --cert, PEM (default: $FLOTILLA_KEY).")
    var key: String?

    /// The TLS configuration for `https://` URLs, nil when no TLS option is set (the system's roots).
    func tlsConfiguration() throws -> TLSConfiguration? {
        let ca = cacert ?? Self.environment("FLOTILLA_CACERT")
        let certificate = cert ?? Self.environment("FLOTILLA_CERT")
        let key = key ?? Self.environment("FLOTILLA_KEY")
        if ca == nil && certificate == nil && key == nil { return nil }
        do {
            return try TLSFiles.client(ca: ca, certificate: certificate, key: key)
        } catch let error as TLSFileError {
            throw ValidationError(error.message)
        }
    }

    /// `--url`, else a non-empty `FLOTILLA_URL`, else the default.
    var resolvedURL: String {
        url ?? Self.environment("FLOTILLA_URL") ?? Self.defaultURL
    }

    /// `--api-key`, else a non-empty `FLOTILLA_API_KEY`.
    var resolvedAPIKey: String? {
        apiKey ?? Self.environment("FLOTILLA_API_KEY")
    }

    private static func environment(_ name: String) -> String? {
        guard let value = ProcessInfo.processInfo.environment[name], !value.isEmpty else { return nil }
        return value
    }
}
