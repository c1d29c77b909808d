import ServiceLifecycle

/// Runs a service's loop until the task is cancelled or, in a `ServiceGroup`, until graceful shutdown;
/// either ends it quietly.
func runUntilShutdown(_ loop: @escaping @Sendable () async throws -> Void) async throws {
    do {
        try await cancelWhenGracefulShutdown(loop)
    } catch is CancellationError {
        return
    }
}
