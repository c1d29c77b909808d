/// An instance's log, checked (the instance runs on this host and its backend holds it) and ready to be
/// read (ADR 0024).
public struct InstanceLogSource: Sendable {
    /// Takes the log's bytes as they come; what it throws ends the read.
    public typealias Writer = ([UInt8]) async throws -> Void

    public let backend: BackendKind
    private let body: @Sendable (Writer) async throws -> Void

    public init(backend: BackendKind, body: @escaping @Sendable (Writer) async throws -> Void) {
        self.backend = backend
        self.body = body
    }

    /// Writes the log through `write` until it ends (see ``ComputeBackend/logs(id:tail:follow:write:)``); a
    /// backend's failure is thrown as its ``FlotillaError``, anything `write` throws unchanged.
    public func read(_ write: Writer) async throws {
        do {
            try await body(write)
        } catch let error as BackendError {
            throw error.flotillaError(backend: backend)
        }
    }
}
