import AsyncHTTPClient
import FlotillaCore
import Foundation
import Logging
import NIOCore
import NIOFoundationCompat

/// The state of one watch: its open stream (if any), the next revision it needs, and the batches read but
/// not yet handed out. Driven by the consumer through ``next()``: nothing runs when nobody reads.
actor EtcdWatchCursor {
    private let transport: EtcdTransport
    private let prefix: String
    private let reconnectWindow: Duration
    private let logger: Logger
    /// The first revision not yet received; nil until etcd tells where "from now" starts.
    private var nextRevision: Revision?
    private var splitter: NewlineDelimitedSplitter
    private var stream: (iterator: HTTPClientResponse.Body.AsyncIterator, endpoint: String)?
    private var pending: [WatchBatch] = []
    private var done = false

    init(
        transport: EtcdTransport, prefix: String, fromRevision: Revision, maxMessageBytes: Int, reconnectWindow: Duration,
        logger: Logger
    ) {
        self.transport = transport
        self.prefix = prefix
        self.reconnectWindow = reconnectWindow
        self.logger = logger
        nextRevision = fromRevision > 0 ? fromRevision : nil
        splitter = NewlineDelimitedSplitter(limit: maxMessageBytes)
    }

    /// The next batch; nil when the consumer was cancelled.
    func next() async throws -> WatchBatch? {
        while true {
            if !pending.isEmpty { return pending.removeFirst() }
            if done || Task.isCancelled { return finish() }
            guard var current = stream else {
                try await connect()
                continue
            }
            let chunk: ByteBuffer?
            do {
                chunk = try await current.iterator.next(isolation: self)
            } catch {
                if Task.isCancelled { return finish() }
                lost("the stream failed: \(error)")
                continue
            }
            guard let chunk else {
                if Task.isCancelled { return finish() }
                lost("the member closed the stream")
                continue
            }
            stream = current
            let messages: [ByteBuffer]
            do { messages = try splitter.append(chunk) } catch {
                done = true
                stream = nil
                throw StoreError.unavailable("etcd watch on \(current.endpoint): \(error)")
            }
            for message in messages {
                try handle(message, from: current.endpoint)
                if stream == nil { break }
            }
        }
    }

    private func finish() -> WatchBatch? {
        done = true
        stream = nil
        return nil
    }

    /// Drops the current stream; the next read reconnects from ``nextRevision``.
    private func lost(_ reason: String) {
        if let endpoint = stream?.endpoint {
            logger.debug("etcd watch lost its member", metadata: ["endpoint": "\(endpoint)", "reason": "\(reason)"])
        }
        stream = nil
        splitter.reset()
    }

    private func handle(_ message: ByteBuffer, from endpoint: String) throws {
        let decoded: EtcdWire.StreamMessage<EtcdWire.WatchResponse>
        do {
            decoded = try JSONDecoder().decode(EtcdWire.StreamMessage<EtcdWire.WatchResponse>.self, from: message)
        } catch {
            lost("unreadable message: \(error)")
            return
        }
        if let error = decoded.error {
            lost("etcd error \(error.grpc_code ?? 0): \(error.message ?? "")")
            return
        }
        guard let response = decoded.result else { return }
        if let compactRevision = response.compact_revision?.value, compactRevision > 0 {
            done = true
            stream = nil
            let requested = nextRevision ?? 0
            throw EtcdError.compacted(requested: requested, compactRevision: compactRevision).storeError()
        }
        if response.canceled == true {
            lost("etcd cancelled the watch: \(response.cancel_reason ?? "no reason given")")
            return
        }
        if response.created == true, nextRevision == nil, let revision = response.header?.revision?.value {
            nextRevision = revision + 1
        }
        let events: [WatchEvent]
        do {
            events = try (response.events ?? []).map { event throws(EtcdError) in try EtcdWire.watchEvent(event) }
        } catch {
            lost("unreadable event: \(error)")
            return
        }
        // After a reconnect etcd may repeat nothing, but be strict: only revisions not yet received.
        let floor = nextRevision ?? 0
        for event in events where event.revision >= floor {
            if let last = pending.last?.events.last, last.revision == event.revision {
                pending[pending.count - 1].events.append(event)
            } else {
                pending.append(WatchBatch(events: [event]))
            }
            nextRevision = event.revision + 1
        }
    }

    /// Opens a stream on the first member that answers, trying them all, again and again with a growing pause,
    /// for up to ``reconnectWindow``; then fails with ``StoreError/unavailable(_:)``.
    private func connect() async throws {
        let giveUp = ContinuousClock.now.advanced(by: reconnectWindow)
        var pause = Duration.milliseconds(100)
        var lastError: EtcdError?
        while true {
            for index in transport.memberOrder() {
                if Task.isCancelled { return }
                let request = EtcdWire.WatchRequest(
                    create_request: EtcdWire.WatchCreateRequest(
                        key: EtcdWire.prefixStart(prefix), range_end: EtcdWire.prefixEnd(prefix),
                        start_revision: nextRevision.map { .init($0) }))
                do throws(EtcdError) {
                    let payload: Data
                    do { payload = try JSONEncoder().encode(request) } catch {
                        throw EtcdError.malformed(endpoint: "-", cause: "\(error)")
                    }
                    // hasleader: etcd cancels the watch when its member loses the leader (cut off from the
                    // quorum) instead of keeping it open and silent.
                    let response = try await transport.openStream(
                        index: index, path: "/v3/watch", payload: payload, headers: [("Grpc-Metadata-hasleader", "true")])
                    stream = (response.body.makeAsyncIterator(), transport.endpoints[index])
                    splitter.reset()
                    logger.trace(
                        "etcd watch open",
                        metadata: ["endpoint": "\(transport.endpoints[index])", "from": "\(nextRevision ?? 0)", "prefix": "\(prefix)"])
                    return
                } catch {
                    if case .closed = error {
                        done = true
                        throw error.storeError()
                    }
                    lastError = error
                }
            }
            guard ContinuousClock.now < giveUp else {
                done = true
                throw (lastError ?? EtcdError.connect(endpoint: "-", cause: "no member answered")).storeError()
            }
            do { try await Task.sleep(for: pause) } catch { return }
            pause = min(pause * 2, .seconds(1))
        }
    }
}
