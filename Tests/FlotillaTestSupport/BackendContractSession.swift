import FlotillaCore
import Foundation
import Testing

/// The state of one ``BackendContract`` check: the backend, the harness and the instances it created.
final class BackendContractSession: Sendable {
    let backend: any ComputeBackend
    let harness: any BackendHarness
    let check: String
    private let created = CreatedInstances()

    init(backend: any ComputeBackend, harness: any BackendHarness, check: String) {
        self.backend = backend
        self.harness = harness
        self.check = check
    }

    func newId() -> String { UUID().uuidString.lowercased() }

    /// Creates an instance from the harness's spec and remembers it for clean-up.
    func create(_ label: String) async throws -> String {
        let id = newId()
        let request = harness.createRequest(id: id, name: "contract-\(label)-\(id.prefix(8))")
        await created.add(id)
        try await backend.create(request)
        return id
    }

    /// Removes every instance the check created; ignores those already gone.
    func cleanUp() async {
        for id in await created.ids {
            try? await backend.delete(id: id, force: true)
        }
    }

    func expect(
        _ id: String, _ state: ObservedInstance.State, after step: String, sourceLocation: SourceLocation = #_sourceLocation
    ) async throws {
        let observed = try await backend.inspect(id: id)
        #expect(observed.id == id, sourceLocation: sourceLocation)
        try #require(
            observed.state == state, "after \(step): expected \(state), got \(observed.state) (\(observed.description ?? ""))",
            sourceLocation: sourceLocation)
    }

    /// `created` and `stopped` both mean "not running, can be started".
    func expectStopped(_ id: String, after step: String, sourceLocation: SourceLocation = #_sourceLocation) async throws {
        let observed = try await backend.inspect(id: id)
        #expect(observed.id == id, sourceLocation: sourceLocation)
        try #require(
            observed.lifecycleState == .stopped,
            "after \(step): expected created or stopped, got \(observed.state) (\(observed.description ?? ""))",
            sourceLocation: sourceLocation)
    }

    func expectNotFound(
        _ id: String, _ operation: String, sourceLocation: SourceLocation = #_sourceLocation,
        _ body: () async throws -> Void
    ) async {
        await #expect(throws: BackendError.notFound(id), "\(operation) of an unknown id", sourceLocation: sourceLocation) {
            try await body()
        }
    }

    func expectError(
        _ kind: BackendError.Kind, _ comment: String, sourceLocation: SourceLocation = #_sourceLocation,
        _ body: () async throws -> Void
    ) async {
        let error = await #expect(throws: BackendError.self, "\(comment)", sourceLocation: sourceLocation) {
            try await body()
        }
        if let error {
            #expect(error.kind == kind, "\(comment): expected \(kind), got \(error)", sourceLocation: sourceLocation)
        }
    }
}

/// The ids a check created.
private actor CreatedInstances {
    private(set) var ids: [String] = []
    func add(_ id: String) { ids.append(id) }
}

extension BackendError {
    /// The case, without its message.
    enum Kind: Sendable, Equatable { case notFound, unavailable, unsupported, failed, invalidRequest }

    var kind: Kind {
        switch self {
        case .notFound: return .notFound
        case .unavailable: return .unavailable
        case .unsupported: return .unsupported
        case .failed: return .failed
        case .invalidRequest: return .invalidRequest
        }
    }
}
