import ArgumentParser
import FlotillaHost
import FlotillaStore
import Foundation

/// `flotilla store export`: the whole store, read at one revision, into a new export file.
struct StoreExportCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "export",
        abstract: "Write every key of the cluster store, read at one revision, to a new file (JSON Lines, docs/store-export.md).",
        discussion: """
            Safe while hosts run: the keys come from one read. The file is readable by its owner only (it holds API \
            key hashes) and appears only once complete. Import it into an empty store of any kind with \
            `flotilla store import`.
            """)

    @Option(help: "The export file to write; it must not exist.")
    var out: String
    @OptionGroup var options: StoreOptions

    func run() async throws {
        let configuration = try options.configuration()
        let out = self.out
        try await StoreCommand.run { logger in
            let database = configuration.dataDir + "/flotilla.sqlite"
            if configuration.store == "sqlite" && !FileManager.default.fileExists(atPath: database) {
                throw StoreFileError("no SQLite store at \(database): give the --data-dir (or FLOTILLA_DATA_DIR) of a host")
            }
            let header = try await StoreCommand.withStore(configuration, logger: logger) { store in
                try await StoreExport.write(from: store, to: out)
            }
            ClientRunner.printOut("exported \(header.keys) keys of the \(header.source) store at revision \(header.revision) to \(out)\n")
        }
    }
}
