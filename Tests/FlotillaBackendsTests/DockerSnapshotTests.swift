import FlotillaBackends
import FlotillaCore
import FlotillaTestSupport
import Foundation
import Testing

/// Docker snapshots against the real daemon (docs/decisions/0028-snapshots.md): the container's files committed as
/// an image, a container made from that image, the image removed again.
@Suite(.docker) struct DockerSnapshotTests {
    @Test("a file written before the snapshot is in a container made from it; deleting the snapshot removes its image")
    func fileSurvives() async throws {
        let docker = try await DockerFixture.shared.daemon()
        let backend = docker.backend()
        let (source, copy) = (UUID().uuidString.lowercased(), UUID().uuidString.lowercased())
        let snapshotId = ULID().description
        let image = "flotilla-snapshot:\(snapshotId.lowercased())"
        defer {
            for id in [copy, source] { _ = try? docker.cli(["rm", "-f", "flotilla-\(id)"]) }
            _ = try? docker.cli(["rmi", "-f", image])
        }
        try await backend.create(DockerFixtures.request(id: source, name: "snap-source-\(source.prefix(8))"))
        try await backend.start(id: source)
        let wrote = try docker.cli(["exec", "flotilla-\(source)", "sh", "-c", "echo kept-\(snapshotId) > /marker"])
        #expect(wrote.status == 0, "\(wrote.output)")

        let artifact = try await backend.snapshot(id: source, snapshotId: snapshotId)
        #expect(artifact.location == image)
        #expect(artifact.includesMemory == false)
        #expect(artifact.sizeBytes > 0)
        #expect(try await backend.inspect(id: source).state == .running, "the container goes on running")
        let labels = try docker.cli(["image", "inspect", "-f", "{{index .Config.Labels \"io.flotilla.snapshot\"}}", image])
        #expect(labels.output.trimmingCharacters(in: .whitespacesAndNewlines) == snapshotId)

        try await backend.create(DockerFixtures.request(id: copy, name: "snap-copy-\(copy.prefix(8))"), from: artifact)
        try await backend.start(id: copy)
        #expect(try await backend.inspect(id: copy).state == .running)
        let read = try docker.cli(["exec", "flotilla-\(copy)", "cat", "/marker"])
        #expect(read.output.trimmingCharacters(in: .whitespacesAndNewlines) == "kept-\(snapshotId)", "\(read.output)")
        let owner = try docker.cli(["inspect", "-f", "{{index .Config.Labels \"io.flotilla.instance\"}}", "flotilla-\(copy)"])
        #expect(owner.output.trimmingCharacters(in: .whitespacesAndNewlines) == copy, "the copy is owned as itself")

        try await backend.deleteSnapshot(artifact)
        #expect(try docker.cli(["image", "inspect", image]).status != 0, "the snapshot's image is gone")
        try await backend.deleteSnapshot(artifact)  // idempotent
        #expect(try await backend.inspect(id: copy).state == .running, "the copy keeps running")
        await #expect(throws: BackendError.self) {
            try await backend.create(DockerFixtures.request(id: UUID().uuidString.lowercased()), from: artifact)
        }
        try await backend.delete(id: copy, force: true)
        try await backend.delete(id: source, force: true)
    }

    @Test("a snapshot of an instance docker does not have is refused, and leaves no image")
    func unknownInstance() async throws {
        let docker = try await DockerFixture.shared.daemon()
        let backend = docker.backend()
        let snapshotId = ULID().description
        await #expect(throws: BackendError.notFound("missing")) {
            try await backend.snapshot(id: "missing", snapshotId: snapshotId)
        }
        #expect(try docker.cli(["image", "inspect", "flotilla-snapshot:\(snapshotId.lowercased())"]).status != 0)
    }
}
