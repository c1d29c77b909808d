import Hummingbird
import Logging
import NIOCore
import Synchronization

/// A minimal OTLP/HTTP receiver for the observability benchmark: every POST (`/v1/traces`) is read (up to 16 MiB)
/// and answered 200 with an empty export response, and counted, so that the benchmark can say the spans arrived.
/// It stores nothing.
final class OTLPSink: Sendable {
    private let counts = Mutex((requests: 0, bytes: 0))

    /// Export requests received so far, and their bytes.
    var received: (requests: Int, bytes: Int) { counts.withLock { $0 } }

    /// The receiver as a service on a free loopback port; `onPort` gets the port once it listens.
    func application(logger: Logger, onPort: @escaping @Sendable (Int) async -> Void) -> some ApplicationProtocol {
        let router = Router()
        router.post("**") { request, _ -> Response in
            let body = try await request.body.collect(upTo: 16 << 20)
            self.counts.withLock {
                $0.requests += 1
                $0.bytes += body.readableBytes
            }
            let json = request.headers[.contentType]?.hasPrefix("application/json") == true
            var headers = HTTPFields()
            headers[.contentType] = json ? "application/json" : "application/x-protobuf"
            // An empty ExportTraceServiceResponse: zero bytes in protobuf, `{}` in JSON.
            return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(string: json ? "{}" : "")))
        }
        return Application(
            router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0)),
            onServerRunning: { channel in await onPort(channel.localAddress?.port ?? 0) }, logger: logger)
    }
}
