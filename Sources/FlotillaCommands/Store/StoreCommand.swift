import ArgumentParser
import FlotillaCore
import FlotillaHost
import Foundation
import Logging

/// `flotilla store ...`: the cluster store itself, without a running host: export it to a file, import a file
/// into an empty store of any kind, back up a SQLite store while its host runs (issue 18, docs/store-export.md).
struct StoreCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "store",
        abstract: "Export the cluster store to a file, import one into an empty store, back up a SQLite store.",
        discussion: """
            Exit status: 0 done (one line says what), 1 failed (one line says why; nothing is left half \
            written under the file's name), 2 usage error.
            """,
        subcommands: [StoreExportCommand.self, StoreImportCommand.self, StoreBackupCommand.self])

    /// Runs the work of a store command: logs go to standard error (warnings and worse); any failure becomes one
    /// `error: ...` line on standard error and exit status 1.
    static func run(_ body: (Logger) async throws -> Void) async throws {
        Telemetry.bootstrapLogging(format: .text, level: .warning, tracing: false)
        var logger = Logger(label: "flotilla")
        logger.logLevel = .warning
        do {
            try await body(logger)
        } catch {
            ClientRunner.printError("error: \(error)")
            throw ExitCode.failure
        }
    }

    /// Opens the store `configuration` names, runs `body` with it and closes it, whether `body` returns or throws.
    static func withStore<T>(
        _ configuration: HostConfiguration, logger: Logger, _ body: (any ClusterStore) async throws -> T
    ) async throws -> T {
        let store = try await StoreFactory.openStore(configuration, logger: logger)
        do {
            let result = try await body(store)
            await StoreFactory.close(store)
            return result
        } catch {
            await StoreFactory.close(store)
            throw error
        }
    }
}
