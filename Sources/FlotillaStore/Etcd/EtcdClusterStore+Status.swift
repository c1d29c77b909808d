import FlotillaCore

extension EtcdClusterStore {
    /// Compacts etcd's history: revisions before `revision` go, `revision` itself stays. Compacting to a
    /// revision already compacted is a no-op; beyond the current revision is ``StoreError/invalid(_:)``.
    public func compact(revision: Revision) async throws {
        do {
            _ = try await call(
                "/v3/kv/compaction", EtcdWire.CompactionRequest(revision: .init(revision)), as: EtcdWire.CompactionResponse.self,
                retry: .idempotent)
        } catch StoreError.invalid(let message) where message.contains(EtcdError.Message.compacted) {
            return
        }
    }

    /// The revision, the oldest revision a watch may start from, and etcd's facts in `details`: `members`
    /// (count), `memberNames`, `leader` (name, or ID when unknown), `raftTerm`, `version`, `endpoint`
    /// (the member that answered), `dbSize`. Healthy when the answering member knows a leader and reports no
    /// errors.
    public func status() async throws -> StoreStatus {
        let status = try await call(
            "/v3/maintenance/status", EtcdWire.Empty(), as: EtcdWire.StatusResponse.self, retry: .idempotent)
        let members = try await call(
            "/v3/cluster/member/list", EtcdWire.Empty(), as: EtcdWire.MemberListResponse.self, retry: .idempotent)
        let current = try revision(status.header)
        let oldest = try await oldestRevision(current: current)

        let list = members.members ?? []
        let leaderID = status.leader?.text ?? "0"
        let leaderName = list.first { $0.ID?.text == leaderID }?.name
        let answering = status.header?.member_id?.text
        var details: [String: String] = [
            "members": String(list.count),
            "memberNames": list.compactMap(\.name).sorted().joined(separator: ","),
            "leader": leaderName ?? leaderID,
            "leaderID": leaderID,
            "raftTerm": String(status.raftTerm?.value ?? status.header?.raft_term?.value ?? 0),
            "version": status.version ?? "",
            "dbSize": String(status.dbSize?.value ?? 0),
        ]
        if let answering, let member = list.first(where: { $0.ID?.text == answering }) {
            details["endpoint"] = member.clientURLs?.first ?? member.name ?? answering
        }
        let errors = status.errors ?? []
        if !errors.isEmpty { details["errors"] = errors.joined(separator: "; ") }
        return StoreStatus(
            kind: kind, revision: current, oldestRevision: oldest, healthy: leaderID != "0" && errors.isEmpty,
            details: details)
    }

    /// etcd does not report its compact revision; a read at a revision older than it fails with "required
    /// revision has been compacted", and a read at it works. So: one read at revision 1 when nothing was
    /// compacted, else a binary search over `[1, current]` (about log2(current) tiny reads of one missing key).
    func oldestRevision(current: Revision) async throws -> Revision {
        func readable(_ revision: Revision) async throws -> Bool {
            do {
                let probe = EtcdWire.RangeRequest(
                    key: EtcdWire.key("\u{0}flotilla/compaction-probe"), revision: .init(revision), count_only: true)
                _ = try await call("/v3/kv/range", probe, as: EtcdWire.RangeResponse.self, retry: .idempotent)
                return true
            } catch StoreError.invalid(let message) where message.contains(EtcdError.Message.compacted) {
                return false
            }
        }
        if try await readable(1) { return 1 }
        var (low, high) = (Revision(1), current)  // low is compacted, high is readable
        while high - low > 1 {
            let middle = low + (high - low) / 2
            if try await readable(middle) { high = middle } else { low = middle }
        }
        return high
    }
}
