import FlotillaCore
import Synchronization

/// What one `followChanges` call reported, when, and how it ended. ``following(_:_:)`` owns the call: it starts
/// it, runs the body, then cancels it and waits for it to end, whatever the body did.
final class DockerChangeRecorder: Sendable {
    struct Change: Sendable {
        var id: String
        var at: ContinuousClock.Instant
    }

    private let state = Mutex<(changes: [Change], ended: (any Error)?)>(([], nil))

    var changes: [Change] { state.withLock { $0.changes } }
    /// How the follow ended; nil while it runs.
    var ended: (any Error)? { state.withLock { $0.ended } }

    /// The ids reported from position `index` on.
    func ids(from index: Int) -> [String] { state.withLock { $0.changes.dropFirst(index).map(\.id) } }

    /// The first report of `id` from position `index` on.
    func first(_ id: String, from index: Int) -> Change? {
        state.withLock { $0.changes.dropFirst(index).first { $0.id == id } }
    }

    private func record(_ id: String) {
        let now = ContinuousClock.now
        state.withLock { $0.changes.append(Change(id: id, at: now)) }
    }

    private func end(_ error: any Error) { state.withLock { $0.ended = error } }

    /// Follows `backend`'s changes while `body` runs.
    static func following<T: Sendable>(
        _ backend: any ComputeBackend, _ body: (DockerChangeRecorder) async throws -> T
    ) async throws -> T {
        let recorder = DockerChangeRecorder()
        return try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask {
                do {
                    try await backend.followChanges { recorder.record($0) }
                    recorder.end(FollowReturned())
                } catch {
                    recorder.end(error)
                }
            }
            do {
                let result = try await body(recorder)
                group.cancelAll()
                try await group.waitForAll()
                return result
            } catch {
                group.cancelAll()
                try? await group.waitForAll()
                throw error
            }
        }
    }

    /// `followChanges` returned, which it must never do: it runs until cancelled or until it fails.
    struct FollowReturned: Error {}
}
