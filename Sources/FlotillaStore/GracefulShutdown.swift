import ServiceLifecycle

/// Returns on graceful shutdown (in a `ServiceGroup`) or cancellation: the `run()` of a store whose work needs no
/// loop of its own there.
func waitForGracefulShutdown() async {
    let (stream, continuation) = AsyncStream<Void>.makeStream()
    await withGracefulShutdownHandler {
        for await _ in stream {}
    } onGracefulShutdown: {
        continuation.finish()
    }
}
