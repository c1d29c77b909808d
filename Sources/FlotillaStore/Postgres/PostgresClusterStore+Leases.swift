import FlotillaCore
import PostgresNIO

extension PostgresClusterStore {
    public func grantLease(ttl: Duration) async throws -> LeaseID {
        let ttlMs = StoreRules.milliseconds(ttl)
        guard ttlMs > 0 else { throw StoreError.invalid("lease TTL must be positive, got \(ttl)") }
        return try await call("grant lease") { client in
            let rows = try await client.query(
                """
                INSERT INTO flotilla.leases (ttl_ms, expires_at) VALUES (\(ttlMs), clock_timestamp() + \(ttlMs) * interval '1 millisecond')
                RETURNING id
                """)
            for try await id in rows.decode(Int64.self) { return LeaseID(id) }
            throw StoreError.unavailable("postgres: a lease grant returned no id")
        }
    }

    @discardableResult
    public func keepAlive(_ lease: LeaseID) async throws -> Duration {
        let ttlMs = try await call("keep-alive") { client in
            let rows = try await client.query("SELECT flotilla.keep_alive(\(lease.rawValue))")
            for try await ttl in rows.decode(Int64?.self) { return ttl }
            return nil
        }
        // An expired lease was reaped with its keys by keep_alive itself; wake the watchers of those deletes.
        guard let ttlMs else {
            hub.publish(try await currentRevision())
            throw StoreError.leaseNotFound(lease)
        }
        return .milliseconds(ttlMs)
    }

    public func revokeLease(_ lease: LeaseID) async throws {
        let revision = try await call("revoke lease") { client in
            let rows = try await client.query("SELECT flotilla.revoke(\(lease.rawValue))")
            for try await revision in rows.decode(Int64.self) { return revision }
            throw StoreError.unavailable("postgres: a lease revoke returned nothing")
        }
        hub.publish(revision)
    }

    /// Reaps every lease that expired on the database's clock, each one's keys deleted in a revision of its own;
    /// returns the leases reaped. Looks first without the revision lock, so an idle store costs writers nothing.
    @discardableResult
    public func expireLeases() async throws -> [LeaseID] {
        let reaped = try await call("expire leases") { client in
            let due = try await client.query("SELECT EXISTS (SELECT 1 FROM flotilla.leases WHERE expires_at <= clock_timestamp())")
            var any = false
            for try await value in due.decode(Bool.self) { any = value }
            guard any else { return [Int64]() }
            var ids: [Int64] = []
            for try await value in try await client.query("SELECT flotilla.expire()").decode([Int64].self) { ids = value }
            return ids
        }
        guard !reaped.isEmpty else { return [] }
        hub.publish(try await currentRevision())
        logger.debug("expired leases", metadata: ["leases": "\(reaped)"])
        return reaped.map(LeaseID.init)
    }

    /// Every ``expiryInterval`` until cancelled (``close()``); a failure is logged when it differs from the last one.
    func reapLeases() async {
        var lastFailure: String?
        while !Task.isCancelled {
            do {
                try await Task.sleep(for: expiryInterval)
                try await expireLeases()
                lastFailure = nil
            } catch {
                let failure = "\(error)"
                if failure != lastFailure && !Task.isCancelled {
                    logger.warning("postgres store: reaping expired leases failed", metadata: ["error": "\(failure)"])
                }
                lastFailure = failure
            }
        }
    }

    /// The store's background work runs from ``open(_:password:tls:requestTimeout:pollInterval:expiryInterval:logger:)``
    /// to ``close()``: this waits for graceful shutdown or cancellation. Closing is the owner's call, after every
    /// service that uses the store has stopped.
    public func run() async throws {
        await waitForGracefulShutdown()
    }
}
