import ArgumentParser
import FlotillaHost
import FlotillaStore
import Foundation

/// `flotilla store import`: an export file into an empty store of any kind.
struct StoreImportCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "import",
        abstract: "Write the keys of an export file into an empty cluster store (sqlite, etcd, ...).",
        discussion: """
            The file is checked whole first (format, version, order, counts, checksum) and the store must hold no \
            key: otherwise nothing is written. Keys attached to leases (host registrations, the leader) are left \
            out: hosts make them again when they start. Revisions start anew in the store. A sqlite store's data \
            folder is locked meanwhile: no host may run on it.
            """)

    @Argument(help: "The export file (from `flotilla store export`).")
    var file: String
    @OptionGroup var options: StoreOptions

    func run() async throws {
        let configuration = try options.configuration()
        let file = self.file
        try await StoreCommand.run { logger in
            let contents = try StoreExport.read(file)
            // No host may start on the folder while it is filled; the lock also makes the folder, owner-only.
            let lock = configuration.store == "sqlite" ? try await DataFolderLock.acquire(configuration.dataDir) : nil
            defer { lock?.release() }
            let report = try await StoreCommand.withStore(configuration, logger: logger) { store in
                try await StoreImport.run(contents, into: store)
            }
            ClientRunner.printOut(
                "imported \(report.written) keys from \(file) (a \(report.header.source) export at revision \(report.header.revision)) "
                    + "into the \(configuration.store) store, now at revision \(report.revision); "
                    + "left out \(report.skippedLeased) keys attached to leases\n")
        }
    }
}
