import FlotillaCore
import FlotillaHost
import Foundation
import Logging
import ServiceLifecycle

/// A whole Flotilla host in this process, on a temporary data folder, with its background services
/// running (store, registry, membership, election, agent) but no socket: tests drive its router.
public struct TestHost: Sendable {
    public let host: FlotillaHost
    /// An admin key created at start.
    public let adminKey: String
    public let dataDir: String

    /// Builds a host, runs `body` while its services run, then stops them and (unless `keepData`) removes the
    /// data folder. Cleanup always runs.
    public static func with<T: Sendable>(
        dataDir: String? = nil, keepData: Bool = false, logger customLogger: Logger? = nil,
        configure: @Sendable (inout HostConfiguration) -> Void = { _ in },
        _ body: @Sendable (TestHost) async throws -> T
    ) async throws -> T {
        let dir =
            dataDir
            ?? FileManager.default.temporaryDirectory
            .appendingPathComponent("flotilla-test-\(UUID().uuidString.prefix(8))").path
        defer { if !keepData { try? FileManager.default.removeItem(atPath: dir) } }
        var config = HostConfiguration()
        config.dataDir = dir
        config.hostId = "test-host"
        config.apiKey = TestHost.adminSecret
        // Long enough that a loaded machine never expires the test host's own worker between keep-alives.
        config.leaseTTL = .seconds(10)
        config.fenceAfter = .seconds(10)
        // Some suites compress the reschedule grace to fractions of a second to test the leader's duties, below
        // what the fence needs: the serve binary always checks the order (FencingProcessTests run real hosts).
        config.enforceFenceOrder = false
        config.actionTimeout = .seconds(20)
        // Room for many small instances whatever the machine: capacity is not what these tests check.
        config.cpuCores = 64
        config.memoryMB = 65536
        config.diskGB = 1000
        // Only what a test asks for: not every backend found on the machine (kvm when QEMU is installed).
        config.backends = [.sim]
        // In-process suites send requests as fast as the machine goes: no rate limits unless a suite sets some
        // (RateLimitTests; ADR 0019).
        config.rateLimits = .unlimited
        configure(&config)
        // Its log is kept in memory (info and above) and printed when the test fails (``FailureLogs``);
        // FLOTILLA_TEST_LOG=1 prints it all (debug and above) as it goes instead.
        let capture = LogCapture()
        var logger = capture.logger(label: "flotilla.test", level: .info)
        if ProcessInfo.processInfo.environment["FLOTILLA_TEST_LOG"] != nil {
            logger = Logger(label: "flotilla.test")
            logger.logLevel = .debug
        }
        if let customLogger { logger = customLogger }
        let host = try await FlotillaHost.build(config, logger: logger)
        let testHost = TestHost(host: host, adminKey: TestHost.adminSecret, dataDir: dir)
        let report: ((any Error)?) async -> String = { error in
            FailureLogs.tail(of: "in process (\(dir))\(error.map { ", the test threw \($0)" } ?? "")", capture.text)
        }
        return try await FailureLogs.onFailure(report) { try await run(host, testHost, body) }
    }

    /// Runs `body` while `host`'s background services run, then cancels them and waits for them to end.
    private static func run<T: Sendable>(
        _ host: FlotillaHost, _ testHost: TestHost, _ body: @Sendable (TestHost) async throws -> T
    ) async throws -> T {
        try await withThrowingTaskGroup(of: Void.self) { group in
            for service in host.backgroundServices {
                group.addTask { try await service.run() }
            }
            do {
                let result = try await body(testHost)
                group.cancelAll()
                while let _ = try? await group.next() {}
                return result
            } catch {
                group.cancelAll()
                while let _ = try? await group.next() {}
                throw error
            }
        }
    }

    public static let adminSecret = "flt_test_admin_key_0123456789abcdef"
}
