import FlotillaCore

extension RegistryCache {
    /// Deletes `workerId`'s heartbeat as this registry last saw it, compared on its revision (a heartbeat written since,
    /// by a host alive after all, stays), within 2 s: the worker is offline on every host at once (``LeaderProbe``,
    /// ``PeerProbe``). Returns whether it was deleted; false when this registry holds none or it changed meanwhile.
    func deleteHeartbeat(of workerId: String, in store: any ClusterStore) async throws -> Bool {
        guard let beat = read({ $0.heartbeats[workerId] }) else { return false }
        let key = StoreKeys.alive(workerId)
        return try await withDeadline(.seconds(2)) {
            try await store.txn([.unchanged(key, since: beat.modRevision)], then: [.delete(key: key)], otherwise: []).succeeded
        }
    }
}
