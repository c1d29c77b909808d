import FlotillaCore
import GRDB
import Logging
import ServiceLifecycle

extension SQLiteClusterStore {
    public func grantLease(ttl: Duration) async throws -> LeaseID {
        let ttlMs = StoreRules.milliseconds(ttl)
        guard ttlMs > 0 else { throw StoreError.invalid("lease TTL must be positive, got \(ttl)") }
        let now = self.now
        return try await writeMeta { db in
            let id = (try Int64.fetchOne(db, sql: "SELECT last_lease_id FROM meta WHERE id = 1") ?? 0) + 1
            try db.execute(sql: "UPDATE meta SET last_lease_id = ? WHERE id = 1", arguments: [id])
            try db.execute(
                sql: "INSERT INTO leases (id, ttl_ms, expires_at_ms) VALUES (?, ?, ?)",
                arguments: [id, ttlMs, now() + ttlMs])
            return LeaseID(id)
        }
    }

    @discardableResult
    public func keepAlive(_ lease: LeaseID) async throws -> Duration {
        // nil: the lease is unknown or expired (and has just been reaped with its keys).
        let ttlMs: Int64? = try await write { writer in
            let row = try Row.fetchOne(
                writer.db, sql: "SELECT ttl_ms, expires_at_ms FROM leases WHERE id = ?", arguments: [lease.rawValue])
            guard let row else { return nil }
            let ttlMs: Int64 = row["ttl_ms"]
            let expiresAt: Int64 = row["expires_at_ms"]
            guard expiresAt > writer.nowMs else {
                try writer.revoke(lease)
                _ = try writer.finish()
                return nil
            }
            try writer.db.execute(
                sql: "UPDATE leases SET expires_at_ms = ? WHERE id = ?", arguments: [writer.nowMs + ttlMs, lease.rawValue])
            return ttlMs
        }
        guard let ttlMs else { throw StoreError.leaseNotFound(lease) }
        return .milliseconds(ttlMs)
    }

    public func revokeLease(_ lease: LeaseID) async throws {
        try await write { writer in
            try writer.revoke(lease)
            _ = try writer.finish()
        }
    }

    /// Reaps every lease that has expired: each one's keys are deleted in one revision of its own.
    /// Returns the leases reaped. ``run()`` calls it periodically.
    @discardableResult
    public func expireLeases() async throws -> [LeaseID] {
        let now = self.now
        let expired = try await read { db in
            try Int64.fetchAll(
                db, sql: "SELECT id FROM leases WHERE expires_at_ms <= ? ORDER BY id", arguments: [now()])
        }
        var reaped: [LeaseID] = []
        for id in expired.map(LeaseID.init) {
            // Re-check inside the write: a keep-alive may have renewed it since the read.
            let didReap = try await write { writer in
                guard try !SQLiteQueries.leaseIsLive(writer.db, id, nowMs: writer.nowMs) else { return false }
                try writer.revoke(id)
                _ = try writer.finish()
                return true
            }
            if didReap { reaped.append(id) }
        }
        if !reaped.isEmpty { logger.debug("expired leases", metadata: ["leases": "\(reaped)"]) }
        return reaped
    }

    /// Reaps expired leases every `expiryInterval` until the task is cancelled or, when run in a
    /// `ServiceGroup`, until graceful shutdown; then returns. Failures are logged and retried on the next tick.
    public func run() async throws {
        do {
            try await cancelWhenGracefulShutdown {
                try await self.expiryLoop()
            }
        } catch is CancellationError {
            return
        }
    }

    private func expiryLoop() async throws {
        while true {
            try await Task.sleep(for: expiryInterval)
            do {
                try await expireLeases()
            } catch let error as StoreError {
                logger.warning("lease expiry failed", metadata: ["error": "\(error)"])
            }
        }
    }
}
