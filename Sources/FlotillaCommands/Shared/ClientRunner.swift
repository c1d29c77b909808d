import ArgumentParser
import FlotillaClient
import Foundation

/// Runs one client command: makes a ``FlotillaClient`` from the options, runs `body`, and turns a
/// ``FlotillaClientError`` into a plain message on standard error and an exit status
/// (1 API error, 2 usage error, 3 server unreachable). Never prints a stack trace.
enum ClientRunner {
    static func run(
        _ options: ClientOptions, timeout: Duration = .seconds(90),
        _ body: (FlotillaClient) async throws -> Void
    ) async throws {
        do {
            try await FlotillaClient.withClient(
                baseURL: options.resolvedURL, apiKey: options.resolvedAPIKey, timeout: timeout, tls: try options.tlsConfiguration(),
                body)
        } catch let error as FlotillaClientError {
            var lines = error.renderedLines
            if case .api(401, _, _, _) = error, options.resolvedAPIKey == nil {
                lines.append("hint: pass --api-key or set FLOTILLA_API_KEY")
            }
            if case .unreachable = error {
                lines.append("hint: is `flotilla serve` running there? Set --url or FLOTILLA_URL.")
            }
            printError(lines.joined(separator: "\n"))
            throw ExitCode(error.exitStatus)
        } catch let error as InvalidInput {
            throw ValidationError(error.message)
        }
    }

    /// Prints `table()` or the wire JSON of `value`, as `--output` asks.
    static func emit<Value: Encodable>(_ value: Value, _ options: ClientOptions, table: (Value) -> String) throws {
        switch options.output {
        case .json: printOut(try OutputFormatter.json(value))
        case .table: printOut(table(value))
        }
    }

    static func printOut(_ text: String) {
        FileHandle.standardOutput.write(Data(text.utf8))
    }

    static func printError(_ text: String) {
        FileHandle.standardError.write(Data((text.hasSuffix("\n") ? text : text + "\n").utf8))
    }
}
