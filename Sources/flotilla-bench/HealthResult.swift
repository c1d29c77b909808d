import Foundation

/// The /health latencies of one measurement.
struct HealthResult {
    let latenciesMs: [Double]
    let failures: Int

    var line: String {
        let result = LoadGenerator.Result(requests: latenciesMs.count, errors: failures, seconds: 1, latenciesMs: latenciesMs)
        return String(
            format: "p50 %7.2f ms  p99 %7.2f ms  max %7.2f ms  (%d requests, %d not 200)", result.percentile(50), result.percentile(99),
            latenciesMs.max() ?? .nan, latenciesMs.count, failures)
    }
}
