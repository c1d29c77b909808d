import ArgumentParser
import FlotillaHost
import FlotillaStore
import Foundation

/// `flotilla store backup`: a consistent copy of a SQLite store's database, also while its host runs.
struct StoreBackupCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "backup",
        abstract: "Copy a sqlite store's database (DATA_DIR/flotilla.sqlite) to a new file, also while a host runs on it.",
        discussion: """
            The copy is the database at one commit, made with SQLite's online backup from a read-only connection: \
            the running host is not stopped nor slowed beyond the read. To restore, put the copy in an empty data \
            folder as flotilla.sqlite and start a host there. For an etcd store use `flotilla store export`.
            """)

    @Option(help: "The copy to write; it must not exist.")
    var out: String
    @Option(help: "Data folder of the sqlite store (env FLOTILLA_DATA_DIR; default ./.flotilla).")
    var dataDir: String?

    func run() async throws {
        let dataDir = self.dataDir ?? ServeEnvironment(ProcessInfo.processInfo.environment)["DATA_DIR"] ?? HostConfiguration().dataDir
        let out = self.out
        try await StoreCommand.run { _ in
            let source = dataDir + "/flotilla.sqlite"
            let report = try SQLiteClusterStore.backup(databaseAt: source, to: out)
            ClientRunner.printOut("backed up \(source) to \(out): \(report.keys) keys at revision \(report.revision)\n")
        }
    }
}
