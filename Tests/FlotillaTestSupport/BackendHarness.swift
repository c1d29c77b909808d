import FlotillaCore

/// What a compute backend adapter provides to run the ``BackendContract`` suite against it.
public protocol BackendHarness: Sendable {
    /// A ready backend (for real backends: with its daemon or binaries available).
    func makeBackend() async throws -> any ComputeBackend
    /// A spec this backend can really run (an image it has, resources it can give).
    func createRequest(id: String, name: String) -> BackendCreateRequest
    /// Releases whatever `makeBackend` set up. Always called, also after a failure.
    func tearDown() async throws
}
