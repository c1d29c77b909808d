import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix
import Synchronization

/// An OTLP/HTTP collector on loopback for tracing tests: takes `POST /v1/traces` in OTLP's JSON encoding (the
/// exporter's `OTEL_EXPORTER_OTLP_PROTOCOL=http/json`), keeps every span with its resource's attributes and
/// answers 200. ``close()`` stops it, awaited.
public final class OTLPReceiver: Sendable {
    /// One exported span; ids in lowercase hex, attributes as strings.
    public struct ExportedSpan: Sendable, CustomStringConvertible {
        public var name: String
        public var traceId: String
        public var spanId: String
        public var parentSpanId: String
        /// OTLP's span kind: 1 internal, 2 server, 3 client.
        public var kind: Int
        public var attributes: [String: String]
        /// The exporting process's resource (`service.name`, `host.id`).
        public var resource: [String: String]

        public var description: String {
            "\(resource["host.id"] ?? "?") \(name) trace=\(traceId) span=\(spanId) parent=\(parentSpanId) kind=\(kind)"
        }
    }

    /// `http://127.0.0.1:PORT`, the base URL to give `--otlp-endpoint`.
    public let url: String
    private let channel: any Channel
    private let store: Store

    /// What the connections' handlers received; shared with them.
    private final class Store: Sendable {
        let spans = Mutex<[ExportedSpan]>([])
        let failures = Mutex<[String]>([])
    }

    private init(url: String, channel: any Channel, store: Store) {
        self.url = url
        self.channel = channel
        self.store = store
    }

    /// Listens on a free loopback port.
    public static func start() async throws -> OTLPReceiver {
        let store = Store()
        let channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { channel in
                channel.pipeline.configureHTTPServerPipeline().flatMapThrowing {
                    try channel.pipeline.syncOperations.addHandler(Handler(store: store))
                }
            }
            .bind(host: "127.0.0.1", port: 0).get()
        return OTLPReceiver(url: "http://127.0.0.1:\(channel.localAddress?.port ?? 0)", channel: channel, store: store)
    }

    /// Every span received so far.
    public var spans: [ExportedSpan] { store.spans.withLock { $0 } }

    /// Bodies that could not be read as OTLP JSON (a test should expect none).
    public var rejected: [String] { store.failures.withLock { $0 } }

    /// Stops listening; open connections close with the event loop's channels.
    public func close() async {
        try? await channel.close()
    }

    /// The spans of one OTLP JSON export request (`ExportTraceServiceRequest`).
    static func parse(_ body: Data) throws -> [ExportedSpan] {
        guard let root = try JSONSerialization.jsonObject(with: body) as? [String: Any] else { throw ProcessFailure("not an object") }
        var spans: [ExportedSpan] = []
        for resourceSpans in root["resourceSpans"] as? [[String: Any]] ?? [] {
            let resource = attributes((resourceSpans["resource"] as? [String: Any])?["attributes"])
            for scope in resourceSpans["scopeSpans"] as? [[String: Any]] ?? [] {
                for span in scope["spans"] as? [[String: Any]] ?? [] {
                    spans.append(
                        ExportedSpan(
                            name: span["name"] as? String ?? "", traceId: hex(span["traceId"]), spanId: hex(span["spanId"]),
                            parentSpanId: hex(span["parentSpanId"]), kind: (span["kind"] as? NSNumber)?.intValue ?? 0,
                            attributes: attributes(span["attributes"]), resource: resource))
                }
            }
        }
        return spans
    }

    /// OTLP's `[{"key":..,"value":{"stringValue":..}}]` as strings.
    private static func attributes(_ value: Any?) -> [String: String] {
        var result: [String: String] = [:]
        for attribute in value as? [[String: Any]] ?? [] {
            guard let key = attribute["key"] as? String, let value = attribute["value"] as? [String: Any], let first = value.first
            else { continue }
            result[key] = "\(first.value)"
        }
        return result
    }

    /// An id as lowercase hex: OTLP JSON says hex; protobuf's JSON mapping of bytes is base64. Both are read.
    private static func hex(_ value: Any?) -> String {
        guard let text = value as? String, !text.isEmpty else { return "" }
        let isHex = (text.count == 32 || text.count == 16) && text.allSatisfy(\.isHexDigit)
        if isHex { return text.lowercased() }
        guard let bytes = Data(base64Encoded: text) else { return text }
        return bytes.map { String(format: "%02x", $0) }.joined()
    }

    private final class Handler: ChannelInboundHandler, @unchecked Sendable {
        // @unchecked: NIO calls a handler only on its channel's event loop; its state is touched nowhere else.
        typealias InboundIn = HTTPServerRequestPart
        typealias OutboundOut = HTTPServerResponsePart
        private let store: Store
        private var head: HTTPRequestHead?
        private var body = Data()

        init(store: Store) { self.store = store }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            switch unwrapInboundIn(data) {
            case .head(let head):
                self.head = head
                body = Data()
            case .body(var buffer):
                if body.count < 16 << 20, let bytes = buffer.readBytes(length: buffer.readableBytes) { body.append(contentsOf: bytes) }
            case .end:
                let status: HTTPResponseStatus
                if head?.method == .POST, head?.uri.hasPrefix("/v1/traces") == true {
                    do {
                        let spans = try OTLPReceiver.parse(body)
                        store.spans.withLock { $0 += spans }
                        status = .ok
                    } catch {
                        store.failures.withLock { $0.append(String(decoding: body.prefix(200), as: UTF8.self)) }
                        status = .badRequest
                    }
                } else {
                    status = .notFound
                }
                respond(context, status)
            }
        }

        private func respond(_ context: ChannelHandlerContext, _ status: HTTPResponseStatus) {
            let payload = context.channel.allocator.buffer(string: "{}")
            var headers = HTTPHeaders()
            headers.add(name: "Content-Type", value: "application/json")
            headers.add(name: "Content-Length", value: "\(payload.readableBytes)")
            context.write(wrapOutboundOut(.head(HTTPResponseHead(version: .http1_1, status: status, headers: headers))), promise: nil)
            context.write(wrapOutboundOut(.body(.byteBuffer(payload))), promise: nil)
            context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: nil)
        }
    }
}
