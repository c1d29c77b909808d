import FlotillaCore

/// What a compute backend adapter provides to run the ``BackendContract`` suite against it.
public protocol BackendHarness: Sendable {
    /// A ready backend (for real backends: with its daemon or binaries available).
    func makeBackend() async throws -> any ComputeBackend
    /// A spec this backend can really run (an image it has, resources it can give).
    func createRequest(id: String, name: String) -> BackendCreateRequest
    /// Releases whatever `makeBackend` set up. Always called, also after a failure.
    func tearDown() async throws
    /// Returns once the started instance `id` would heed a graceful stop: for a VM, once its guest has booted and
    /// listens for the power button (a guest still booting ignores it, and the stop waits out its whole timeout
    /// before it kills). Instances of other backends heed one at once (the default).
    func awaitReady(_ backend: any ComputeBackend, id: String) async throws
}

extension BackendHarness {
    public func awaitReady(_ backend: any ComputeBackend, id: String) async throws {}
}
