import FlotillaCore
import Foundation
import NIOHTTP1

/// Docker snapshots (docs/decisions/0028-snapshots.md): the container's filesystem committed as an image
/// `flotilla-snapshot:<snapshot id>` labelled `io.flotilla.snapshot=<snapshot id>` (no memory: a container made
/// from it starts afresh with the files it had). A new instance is a container of that image with the request's
/// config; deleting removes the tag (containers made from it keep their layers).
extension DockerBackend: Snapshotting {
    /// The repository of every snapshot image.
    static let snapshotRepository = "flotilla-snapshot"
    /// The label that marks an image as a Flotilla snapshot (value: the snapshot id); others are never removed.
    static let snapshotLabel = "io.flotilla.snapshot"

    public func snapshot(id: String, snapshotId: String) async throws -> SnapshotArtifact {
        let container = try await ownedContainer(id)
        let tag = snapshotId.lowercased()
        let response = try await engine.send(
            .POST, "/commit",
            query: [("container", container), ("repo", Self.snapshotRepository), ("tag", tag), ("pause", "true")],
            json: CommitConfig(Labels: [Self.snapshotLabel: snapshotId, DockerContainerSpec.ownershipLabel: id]),
            timeout: configuration.requestTimeout * 4)
        guard response.status == 201 else { throw Self.failure(response, "snapshot", id: id) }
        let location = "\(Self.snapshotRepository):\(tag)"
        guard let image = try await snapshotImage(location) else {
            throw BackendError.failed("docker committed instance \(id) but its image \(location) is not there")
        }
        return SnapshotArtifact(location: location, sizeBytes: image.Size ?? 0, includesMemory: false)
    }

    public func create(_ request: BackendCreateRequest, from artifact: SnapshotArtifact) async throws {
        guard try await snapshotImage(artifact.location) != nil else {
            throw BackendError.invalidRequest("the snapshot image \(artifact.location) is not on this docker daemon")
        }
        var request = request
        request.spec.config.image = artifact.location
        try await create(request)
    }

    public func deleteSnapshot(_ artifact: SnapshotArtifact) async throws {
        guard let image = try await snapshotImage(artifact.location) else { return }
        let response = try await engine.send(
            .DELETE, "/images/\(DockerEngineClient.encode(artifact.location))", query: [("force", "true")])
        switch response.status {
        case 200, 404: return
        default:
            throw BackendError.failed(
                "docker could not remove snapshot image \(artifact.location) (\(image.Id)) (\(response.status)): \(response.message)")
        }
    }

    /// Not done: a docker snapshot is an image in its host's daemon and is made into containers there only
    /// (``SnapshotRules/targetProblem(_:target:)`` refuses another target before anything is recorded).
    public nonisolated func exportSnapshot(_ artifact: SnapshotArtifact, write: ([UInt8]) async throws -> Void) async throws {
        throw BackendError.invalidRequest(SnapshotRules.dockerStaysHome)
    }

    public func importSnapshot(_ snapshotId: String, as localId: String, from source: SnapshotByteSource) async throws
        -> SnapshotArtifact
    {
        throw BackendError.invalidRequest(SnapshotRules.dockerStaysHome)
    }

    /// The container of instance `id` after checking it carries the ownership label for that id.
    private func ownedContainer(_ id: String) async throws -> String {
        let response = try await engine.send(.GET, "/containers/\(DockerContainerSpec.containerName(id))/json")
        guard response.status == 200 else { throw Self.failure(response, "snapshot", id: id) }
        let container = try response.decode(DockerWire.ContainerInspect.self)
        guard container.Config?.Labels?[DockerContainerSpec.ownershipLabel] == id else { throw BackendError.notFound(id) }
        return container.Id
    }

    /// The snapshot image at `reference`, nil when docker has none; an image without the snapshot label is refused.
    private func snapshotImage(_ reference: String) async throws -> ImageInspect? {
        let response = try await engine.send(.GET, "/images/\(DockerEngineClient.encode(reference))/json")
        if response.status == 404 { return nil }
        guard response.status == 200 else {
            throw BackendError.failed("docker could not inspect image \(reference) (\(response.status)): \(response.message)")
        }
        let image = try response.decode(ImageInspect.self)
        guard image.Config?.Labels?[Self.snapshotLabel] != nil else {
            throw BackendError.invalidRequest("image \(reference) is not a Flotilla snapshot")
        }
        return image
    }

    /// The container config `POST /commit` takes (only what a snapshot sets).
    private struct CommitConfig: Encodable, Sendable {
        var Labels: [String: String]
    }

    /// What `GET /images/{name}/json` says that a snapshot needs.
    private struct ImageInspect: Decodable, Sendable {
        struct Config: Decodable, Sendable { var Labels: [String: String]? }
        var Id: String
        var Size: Int64?
        var Config: Config?
    }
}
