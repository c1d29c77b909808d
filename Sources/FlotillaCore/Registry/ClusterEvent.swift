import Foundation

/// One entry of the lifecycle log surface D streams (`GET /api/v2/events`), derived from one store change.
public struct ClusterEvent: Sendable, Equatable {
    public enum Kind: String, Sendable, Equatable, CaseIterable {
        case instanceCreated = "instance.created"
        case instancePlaced = "instance.placed"
        case instanceStateChanged = "instance.state_changed"
        /// A change whose previous value this stream has not seen (the first one after a resume), or a change
        /// of neither placement nor state (labels, resources).
        case instanceUpdated = "instance.updated"
        case instanceDeleted = "instance.deleted"
        case workerRegistered = "worker.registered"
        case workerJoined = "worker.joined"
        case workerLeft = "worker.left"
        case workerDrained = "worker.drained"
        case workerActivated = "worker.activated"
        case workerUpdated = "worker.updated"
        case leaderChanged = "leader.changed"
        case leaderLost = "leader.lost"
    }

    public var revision: Revision
    public var kind: Kind
    /// The instance concerned (instance events).
    public var instanceId: String?
    /// The instance after the change (instance events).
    public var instance: Instance?
    /// The state before the change, where this stream knows it.
    public var previousState: InstanceState?
    public var workerId: String?
    public var worker: Worker?
    public var leader: LeaderRecord?
    /// The leader's term: the create revision of the leader key.
    public var term: Revision?
}

/// Turns store changes into ``ClusterEvent``s. Remembers what it saw of each instance and worker so that it
/// can tell a placement from a state change; secrets (API keys) and bookkeeping keys give no event.
public struct ClusterEventMapper: Sendable {
    private var instances: [String: (state: InstanceState, workerId: String?)] = [:]
    private var drained: [String: Bool] = [:]

    /// Seeds the memory from a registry state (a stream that starts at that state's revision).
    public init(seed: RegistryState? = nil) {
        guard let seed else { return }
        for (id, v) in seed.instances { instances[id] = (v.value.state, v.value.workerId) }
        for (id, v) in seed.workers { drained[id] = v.value.adminStatus == .draining }
    }

    public mutating func map(_ event: WatchEvent) -> ClusterEvent? {
        let key = event.kv.key
        let rev = event.revision
        if let id = key.dropPrefix(StoreKeys.instances) { return mapInstance(id, event) }
        if let id = key.dropPrefix(StoreKeys.alive) {
            if event.kind == .delete { return ClusterEvent(revision: rev, kind: .workerLeft, workerId: id) }
            return event.kv.version == 1 ? ClusterEvent(revision: rev, kind: .workerJoined, workerId: id) : nil
        }
        if let id = key.dropPrefix(StoreKeys.workers) {
            guard event.kind == .put, let worker = try? StoreCodec.decode(Worker.self, from: event.kv.value) else { return nil }
            let wasDrained = drained[id]
            let isDrained = worker.adminStatus == .draining
            drained[id] = isDrained
            let kind: ClusterEvent.Kind
            if event.kv.version == 1 {
                kind = .workerRegistered
            } else if isDrained && wasDrained != true {
                kind = .workerDrained
            } else if !isDrained && wasDrained == true {
                kind = .workerActivated
            } else {
                kind = .workerUpdated
            }
            return ClusterEvent(revision: rev, kind: kind, workerId: id, worker: worker)
        }
        if key == StoreKeys.leader {
            guard event.kind == .put, let record = try? StoreCodec.decode(LeaderRecord.self, from: event.kv.value) else {
                return ClusterEvent(revision: rev, kind: .leaderLost)
            }
            return ClusterEvent(
                revision: rev, kind: .leaderChanged, workerId: record.hostId, leader: record, term: event.kv.createRevision)
        }
        return nil
    }

    private mutating func mapInstance(_ id: String, _ event: WatchEvent) -> ClusterEvent? {
        let rev = event.revision
        let before = instances[id]
        guard event.kind == .put, let instance = try? StoreCodec.decode(Instance.self, from: event.kv.value) else {
            instances[id] = nil
            return ClusterEvent(
                revision: rev, kind: .instanceDeleted, instanceId: id, previousState: before?.state, workerId: before?.workerId)
        }
        instances[id] = (instance.state, instance.workerId)
        let kind: ClusterEvent.Kind
        if event.kv.version == 1 {
            kind = .instanceCreated
        } else if instance.state == .deleted {
            kind = .instanceDeleted
        } else if let before {
            if instance.workerId != nil && instance.workerId != before.workerId {
                kind = .instancePlaced
            } else if instance.state != before.state {
                kind = .instanceStateChanged
            } else {
                kind = .instanceUpdated
            }
        } else {
            kind = .instanceUpdated
        }
        return ClusterEvent(
            revision: rev, kind: kind, instanceId: id, instance: instance, previousState: before?.state, workerId: instance.workerId)
    }
}
