import FlotillaTestSupport
import Foundation
import Testing

/// `serve --trace-sample-ratio` (ADR 0022): a ratio outside 0 to 1, or one that is not a number, is refused before
/// anything starts, in words that name the option.
@Suite("serve --trace-sample-ratio")
struct TraceSampleRatioTests {
    @Test(
        "a ratio outside 0...1 or not a number is refused with a message naming the option",
        arguments: [
            (["--trace-sample-ratio", "1.5"], [String: String](), "--trace-sample-ratio must be between 0 and 1, got 1.5"),
            (["--trace-sample-ratio=-0.1"], [:], "--trace-sample-ratio must be between 0 and 1, got -0.1"),
            (["--trace-sample-ratio", "nan"], [:], "--trace-sample-ratio must be between 0 and 1"),
            ([], ["FLOTILLA_TRACE_SAMPLE_RATIO": "often"], "FLOTILLA_TRACE_SAMPLE_RATIO must be a number, got often"),
            ([], ["FLOTILLA_TRACE_SAMPLE_RATIO": "2"], "--trace-sample-ratio must be between 0 and 1, got 2.0"),
        ])
    func refused(arguments: [String], environment: [String: String], message: String) async throws {
        try await withTemporaryDirectory { dir in
            let p = Process()
            p.executableURL = URL(fileURLWithPath: ServeProcess.binary)
            p.arguments = ["serve", "--listen", "127.0.0.1:0", "--grpc-listen", "127.0.0.1:0", "--data-dir", dir] + arguments
            p.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
            let run = try await ProcessRun.capture(p, timeout: .seconds(60))
            #expect(run.status != 0)
            #expect(run.err.contains(message), "\(run.err)")
            // Refused before anything started: nothing was written to the data folder.
            #expect((try? FileManager.default.contentsOfDirectory(atPath: dir)) == [])
        }
    }
}
