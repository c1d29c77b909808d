import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1

/// A closed-loop HTTP load generator: `connections` workers each send one request at a time for `duration`.
struct LoadGenerator {
    struct Result {
        var requests: Int
        var errors: Int
        var seconds: Double
        var latenciesMs: [Double]

        var throughput: Double { Double(requests) / seconds }
        func percentile(_ p: Double) -> Double {
            guard !latenciesMs.isEmpty else { return .nan }
            let sorted = latenciesMs.sorted()
            let index = min(sorted.count - 1, Int((p / 100 * Double(sorted.count)).rounded(.up)) - 1)
            return sorted[max(0, index)]
        }
        var line: String {
            String(
                format: "%9.0f req/s  p50 %7.3f ms  p99 %7.3f ms  (%d requests, %d errors)", throughput, percentile(50), percentile(99),
                requests, errors)
        }
    }

    let client: HTTPClient
    let connections: Int
    let duration: Duration

    /// Runs the load; `makeRequest(worker, n)` builds each request; a non-2xx status counts as an error.
    func run(_ makeRequest: @escaping @Sendable (Int, Int) -> HTTPClientRequest) async -> Result {
        let clock = ContinuousClock()
        let start = clock.now
        let deadline = start + duration
        let perWorker = await withTaskGroup(of: (Int, Int, [Double]).self) { group in
            for worker in 0..<connections {
                group.addTask {
                    var latencies: [Double] = []
                    var errors = 0
                    var n = 0
                    while clock.now < deadline {
                        let request = makeRequest(worker, n)
                        n += 1
                        let t0 = clock.now
                        do {
                            let response = try await client.execute(request, timeout: .seconds(30))
                            _ = try await response.body.collect(upTo: 16 << 20)
                            if !(200..<300).contains(Int(response.status.code)) { errors += 1 }
                        } catch {
                            errors += 1
                        }
                        let elapsed = clock.now - t0
                        latencies.append(seconds(elapsed) * 1000)
                    }
                    return (latencies.count, errors, latencies)
                }
            }
            var all: [(Int, Int, [Double])] = []
            for await r in group { all.append(r) }
            return all
        }
        return Result(
            requests: perWorker.reduce(0) { $0 + $1.0 }, errors: perWorker.reduce(0) { $0 + $1.1 }, seconds: seconds(clock.now - start),
            latenciesMs: perWorker.flatMap(\.2))
    }
}
