import ArgumentParser

/// `flotilla snapshot ...`: snapshots of instances through surface D (`/api/v2/snapshots`).
struct SnapshotCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "snapshot",
        abstract: "Take, list and delete snapshots of instances, and make new instances from them.",
        discussion: """
            A kvm snapshot keeps the VM's disks and memory (a VM made from it resumes where it was); a docker \
            snapshot keeps the container's files as an image. The host that took a snapshot keeps it, and a VM \
            made from it runs there.
            """,
        subcommands: [
            SnapshotCreateCommand.self, SnapshotListCommand.self, SnapshotGetCommand.self, SnapshotDeleteCommand.self,
            SnapshotRestoreCommand.self,
        ]
    )
}
