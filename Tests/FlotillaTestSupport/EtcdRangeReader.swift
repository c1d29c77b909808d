import FlotillaCore
import FlotillaStore

/// Reads key ranges straight from etcd, with the project's own client (``EtcdClusterStore``: each attempt with a
/// deadline and a size limit, moving on to another member after a failure): what the invariant checker uses to
/// read the registry without any host in the way. Each call uses a client of its own and closes it before
/// returning, whatever happened, so a reader needs no shutdown of its own. (Not URLSession: FoundationNetworking
/// traps on a connection that closes without an answer, which is what a killed etcd member does.)
struct EtcdRangeReader: Sendable {
    let endpoints: [String]
    var timeout: Duration = .seconds(2)

    /// Every key under each of `prefixes`, one range per prefix, in order.
    func ranges(_ prefixes: [String]) async throws -> [RangeResult] {
        let store = try EtcdClusterStore(endpoints: endpoints, requestTimeout: timeout)
        do {
            var results: [RangeResult] = []
            for prefix in prefixes { results.append(try await store.range(prefix: prefix)) }
            try? await store.close()
            return results
        } catch {
            try? await store.close()
            throw error
        }
    }
}
