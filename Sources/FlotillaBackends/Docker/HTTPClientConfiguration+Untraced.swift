import AsyncHTTPClient

extension HTTPClient.Configuration {
    /// A configuration whose client makes no spans of its own: the docker backend's calls are traced by the host's
    /// `backend.*` span of each call, under the head sampler (docs/decisions/0022-tracing-and-logs.md), not as stray
    /// traces of their own.
    static func untraced(timeout: Timeout = Timeout()) -> Self {
        var configuration = HTTPClient.Configuration(timeout: timeout)
        configuration.tracing.tracer = nil
        return configuration
    }
}
