import FlotillaCore
import Foundation
import Logging
import NIOSSL
import ServiceLifecycle

/// The cluster ``ClusterStore``: a real etcd v3 cluster, reached through its JSON gateway (`/v3/...` on the
/// client port) with AsyncHTTPClient. See `docs/decisions/0004-etcd-store.md`.
///
/// - Fail-over: each call goes to the member that answered last, then to the others. Reads, keep-alives,
///   revokes, lease grants and compactions move on after any failure; writes (put, delete, txn with writes)
///   move on only when the connection could not be made, because a write whose answer was lost may have
///   been applied: it fails with ``StoreError/unavailable(_:)`` and the caller re-reads.
/// - Deadlines: every attempt on a member has ``requestTimeout``; every answer has a size limit.
/// - Watch: one streaming request per watch, resumed on another member from the revision after the last one
///   delivered when its member fails.
/// - Leases: etcd's TTLs are whole seconds (rounded up here) with a floor etcd sets (about 1.5 × its election
///   timeout); etcd expires and revokes leases itself.
/// - TLS: `https://` member URLs with a `tls` configuration (a CA, and a client certificate for members started
///   with `--client-cert-auth`). A refused handshake fails as ``StoreError/unavailable(_:)`` whose message names
///   TLS, the member and the cause. See `docs/decisions/0020-etcd-over-tls.md`.
public final class EtcdClusterStore: ClusterStore, Service {
    public let kind = "etcd"

    let transport: EtcdTransport
    let logger: Logger
    /// How long a watch keeps trying to reconnect (to any member) before it fails with `unavailable`.
    let watchReconnectWindow: Duration
    /// How many keys one call of a listing (``range(prefix:)``) reads.
    let rangePageSize: Int
    /// The largest single watch message accepted.
    let maxWatchMessageBytes: Int
    /// Lease renewals, on etcd's gRPC stream (ADR 0034).
    let leaseStream: EtcdLeaseStream

    /// Connects (lazily) to the cluster whose client URLs are `endpoints`.
    ///
    /// - Parameters:
    ///   - endpoints: client URLs of the members, e.g. `["http://127.0.0.1:2379", ...]`; at least one.
    ///   - requestTimeout: the deadline of one attempt on one member (connect, request and answer).
    ///   - maxResponseBytes: the largest answer read from a unary call.
    ///   - maxWatchMessageBytes: the largest single message read from a watch stream.
    ///   - watchReconnectWindow: how long a watch whose member failed keeps trying the others.
    ///   - rangePageSize: how many keys one call of a listing reads (1,000 records of a few KB: a few MB).
    ///   - tls: how to speak TLS to `https://` members (trusted CA, client certificate); nil: the system's roots
    ///     and no client certificate. Given, every endpoint must be `https://`.
    ///   - logger: where the store logs (debug and trace only: failed attempts, watches that change member).
    public init(
        endpoints: [String],
        requestTimeout: Duration = .seconds(2),
        maxResponseBytes: Int = 64 * 1024 * 1024,
        maxWatchMessageBytes: Int = 16 * 1024 * 1024,
        watchReconnectWindow: Duration = .seconds(10),
        rangePageSize: Int = 1000,
        tls: TLSConfiguration? = nil,
        logger: Logger = Logger(label: "flotilla.store.etcd")
    ) throws {
        let endpoints = endpoints.map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        guard !endpoints.isEmpty else { throw StoreError.invalid("an etcd store needs at least one endpoint") }
        for endpoint in endpoints where URL(string: endpoint)?.host == nil || !endpoint.hasPrefix("http") {
            throw StoreError.invalid("not an etcd client URL: \(endpoint)")
        }
        let secure = endpoints.filter { $0.hasPrefix("https://") }
        guard secure.isEmpty || secure.count == endpoints.count else {
            throw StoreError.invalid("the etcd endpoints mix http:// and https://: \(endpoints.joined(separator: ","))")
        }
        if tls != nil && secure.isEmpty {
            throw StoreError.invalid("a TLS configuration needs https:// etcd endpoints, got \(endpoints.joined(separator: ","))")
        }
        let tls = tls ?? (secure.isEmpty ? nil : TLSConfiguration.makeClientConfiguration())
        transport = EtcdTransport(
            endpoints: endpoints, requestTimeout: requestTimeout, maxResponseBytes: maxResponseBytes, tls: tls, logger: logger)
        self.logger = logger
        self.maxWatchMessageBytes = maxWatchMessageBytes
        self.watchReconnectWindow = watchReconnectWindow
        self.rangePageSize = max(1, rangePageSize)
        leaseStream = EtcdLeaseStream(
            locate: { [transport] in try await Self.leaseEndpoint(transport) }, security: try EtcdLeaseStream.security(tls), logger: logger)
        logger.debug("etcd store", metadata: ["endpoints": "\(endpoints.joined(separator: ","))", "tls": "\(tls != nil)"])
    }

    /// A comma-separated list of endpoints, as given on a command line.
    public convenience init(endpoints: String, requestTimeout: Duration = .seconds(2), logger: Logger) throws {
        try self.init(endpoints: endpoints.split(separator: ",").map(String.init), requestTimeout: requestTimeout, logger: logger)
    }

    /// The client URLs this store talks to.
    public var endpoints: [String] { transport.endpoints }

    /// The deadline of one attempt on one member.
    public var requestTimeout: Duration { transport.requestTimeout }

    /// Shuts the HTTP client down: open watches end with ``StoreError/unavailable(_:)`` and later calls fail.
    /// Call it once, after the last use.
    public func close() async throws {
        await leaseStream.close()
        do { try await transport.shutdown() } catch {
            throw StoreError.unavailable("closing the etcd client failed: \(error)")
        }
    }

    /// Nothing runs periodically (etcd expires leases itself): waits for graceful shutdown or cancellation.
    /// Closing is the owner's call (``close()``), after every service that uses the store has stopped.
    public func run() async throws {
        await waitForGracefulShutdown()
    }

    // MARK: KV

    public func get(_ key: String) async throws -> KeyValue? {
        let response = try await call(
            "/v3/kv/range", EtcdWire.RangeRequest(key: EtcdWire.key(key)), as: EtcdWire.RangeResponse.self, retry: .idempotent)
        return try mapped { () throws(EtcdError) in try response.kvs?.first.map(EtcdWire.keyValue) }
    }

    /// Every key under `prefix`, read in pages of ``rangePageSize`` keys, each page a call with its own deadline,
    /// all at the first page's revision (one snapshot): a registry of 100,000 instances is hundreds of MB, more
    /// than one answer should carry or one deadline should cover. A snapshot compacted before its last page
    /// was read is read again from the start, at most three times.
    public func range(prefix: String) async throws -> RangeResult {
        var attempt = 1
        while true {
            do {
                return try await rangeInPages(prefix: prefix)
            } catch StoreError.invalid(let message) where message.contains(EtcdError.Message.compacted) && attempt < 3 {
                attempt += 1
            }
        }
    }

    private func rangeInPages(prefix: String) async throws -> RangeResult {
        var request = EtcdWire.rangeRequest(prefix: prefix)
        request.limit = .init(Int64(rangePageSize))
        var kvs: [KeyValue] = []
        var snapshot: Revision?
        while true {
            let response = try await call("/v3/kv/range", request, as: EtcdWire.RangeResponse.self, retry: .idempotent)
            kvs += try mapped { () throws(EtcdError) in try (response.kvs ?? []).map(EtcdWire.keyValue) }
            if snapshot == nil {
                // An answer's header carries the store's revision now, not the one read at: keep the first.
                let first = try revision(response.header)
                snapshot = first
                request.revision = .init(first)
            }
            guard response.more == true, let last = response.kvs?.last?.key else { break }
            request.key = last + Data([0])
        }
        return RangeResult(kvs: kvs, revision: snapshot ?? 0)
    }

    @discardableResult
    public func put(_ key: String, value: Data, lease: LeaseID?) async throws -> Revision {
        let request = EtcdWire.PutRequest(key: EtcdWire.key(key), value: value, lease: lease.map { .init($0.rawValue) })
        let response = try await call("/v3/kv/put", request, as: EtcdWire.PutResponse.self, retry: .unlessSent, lease: lease)
        return try revision(response.header)
    }

    @discardableResult
    public func delete(_ key: String) async throws -> DeleteResult {
        let response = try await call(
            "/v3/kv/deleterange", EtcdWire.DeleteRangeRequest(key: EtcdWire.key(key)), as: EtcdWire.DeleteRangeResponse.self,
            retry: .unlessSent)
        return DeleteResult(revision: try revision(response.header), deleted: (response.deleted?.value ?? 0) > 0)
    }

    public func txn(_ compares: [Compare], then: [TxnOp], otherwise: [TxnOp]) async throws -> TxnResult {
        let request = EtcdWire.TxnRequest(
            compare: compares.map(EtcdWire.compare), success: then.map(EtcdWire.requestOp),
            failure: otherwise.map(EtcdWire.requestOp))
        let readOnly = !(then + otherwise).contains(where: EtcdWire.writes)
        // A lease named by a put, for etcd's "requested lease not found".
        let lease = (then + otherwise).lazy.compactMap { op -> LeaseID? in
            if case .put(_, _, let lease) = op { return lease }
            return nil
        }.first
        let response = try await call(
            "/v3/kv/txn", request, as: EtcdWire.TxnResponse.self, retry: readOnly ? .idempotent : .unlessSent, lease: lease)
        let succeeded = response.succeeded ?? false
        let ops = succeeded ? then : otherwise
        let responses = response.responses ?? []
        guard responses.count == ops.count else {
            throw StoreError.unavailable("etcd answered \(responses.count) results for \(ops.count) operations")
        }
        let results = try mapped { () throws(EtcdError) in
            try zip(ops, responses).map { op, response throws(EtcdError) in try EtcdWire.opResult(op, response) }
        }
        return TxnResult(succeeded: succeeded, revision: try revision(response.header), results: results)
    }

    // MARK: Helpers

    /// One unary call, with etcd's failures mapped to ``StoreError``.
    func call<Request: Encodable & Sendable, Response: Decodable & Sendable>(
        _ path: String, _ body: Request, as: Response.Type, retry: EtcdTransport.Retry, lease: LeaseID? = nil
    ) async throws(StoreError) -> Response {
        do throws(EtcdError) {
            return try await transport.call(path, body, as: Response.self, retry: retry)
        } catch {
            throw error.storeError(lease: lease)
        }
    }

    func mapped<T>(_ body: () throws(EtcdError) -> T) throws(StoreError) -> T {
        do throws(EtcdError) {
            return try body()
        } catch {
            throw error.storeError()
        }
    }

    func revision(_ header: EtcdWire.ResponseHeader?) throws(StoreError) -> Revision {
        guard let revision = header?.revision?.value, revision > 0 else {
            throw StoreError.unavailable("etcd answered without a revision")
        }
        return revision
    }
}
