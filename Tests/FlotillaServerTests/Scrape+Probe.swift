import FlotillaTestSupport
import Testing

extension Scrape {
    /// `GET /metrics` of the in-process host behind `probe`.
    init(_ probe: HTTPProbe) async throws {
        let reply = try await probe.get("/metrics")
        #expect(reply.status == 200, "\(reply.text.prefix(300))")
        self.init(text: reply.text)
    }
}
