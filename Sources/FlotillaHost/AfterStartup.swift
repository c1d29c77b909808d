import ServiceLifecycle

/// Runs `service` only once the host has started (`HostStartup` opened `started`: listeners bound, worker
/// registered). A shutdown or a failure before that ends it without running `service` at all.
struct AfterStartup: Service {
    let started: Latch<Void>
    let service: any Service

    func run() async throws {
        do {
            try await cancelWhenGracefulShutdown { try await started.wait() }
        } catch is CancellationError {
            return
        }
        try await service.run()
    }
}
