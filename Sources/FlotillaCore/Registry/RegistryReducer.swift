/// Applies store events to a ``RegistryState``. Pure: the same events in the same order give the same state.
public enum RegistryReducer {
    /// A change the registry saw, for subscribers that react to changes (the agent, waiters, event streams).
    public enum Change: Sendable, Equatable {
        case instance(id: String)
        case worker(id: String)
        case leader
        case apiKeys
        case catalog
        case snapshot(id: String)
    }

    /// Replaces the whole state with a listing (`range` of the root prefix at `revision`).
    public static func load(_ kvs: [KeyValue], revision: Revision) -> RegistryState {
        var state = RegistryState()
        for kv in kvs { _ = applyUnordered(WatchEvent(kind: .put, kv: kv), to: &state) }
        state.revision = revision
        return state
    }

    /// Applies a batch; returns the changes in order. Events at or below the state's revision were applied
    /// already and are skipped, so a replayed batch is harmless; events of one revision share it.
    @discardableResult
    public static func apply(_ batch: WatchBatch, to state: inout RegistryState) -> [Change] {
        var changes: [Change] = []
        let start = state.revision
        for event in batch.events where event.revision > start {
            if let c = applyUnordered(event, to: &state) { changes.append(c) }
            state.revision = max(state.revision, event.revision)
        }
        return changes
    }

    private static func applyUnordered(_ event: WatchEvent, to state: inout RegistryState) -> Change? {
        let key = event.kv.key
        let isPut = event.kind == .put
        func decoded<T: Decodable>(_ type: T.Type) -> T? {
            guard isPut else {
                // A deleted key holds no record, so none that fails to decode.
                state.undecodable.remove(key)
                return nil
            }
            do {
                let value = try StoreCodec.decode(type, from: event.kv.value)
                state.undecodable.remove(key)
                return value
            } catch {
                state.undecodable.insert(key)
                return nil
            }
        }
        func versioned<T>(_ value: T) -> Versioned<T> {
            Versioned(value: value, modRevision: event.kv.modRevision, createRevision: event.kv.createRevision)
        }

        if let id = key.dropPrefix(StoreKeys.instances) {
            state.instances[id] = decoded(Instance.self).map(versioned)
            return .instance(id: id)
        }
        if let name = key.dropPrefix(StoreKeys.names) {
            state.names[name] = isPut ? String(decoding: event.kv.value, as: UTF8.self) : nil
            return nil
        }
        if let id = key.dropPrefix(StoreKeys.workers) {
            state.workers[id] = decoded(Worker.self).map(versioned)
            return .worker(id: id)
        }
        if let id = key.dropPrefix(StoreKeys.alive) {
            state.heartbeats[id] = decoded(Heartbeat.self).map(versioned)
            return .worker(id: id)
        }
        if key == StoreKeys.leader {
            state.leader = decoded(LeaderRecord.self).map(versioned)
            return .leader
        }
        if let hash = key.dropPrefix(StoreKeys.apiKeys) {
            state.apiKeys[hash] = decoded(APIKeyRecord.self)
            return .apiKeys
        }
        if let id = key.dropPrefix(StoreKeys.flavors) {
            state.flavors[id] = decoded(Flavor.self)
            return .catalog
        }
        if let id = key.dropPrefix(StoreKeys.images) {
            state.images[id] = decoded(Image.self)
            return .catalog
        }
        if let name = key.dropPrefix(StoreKeys.networks) {
            state.networks[name] = decoded(NetworkDefinition.self)
            return .catalog
        }
        if let id = key.dropPrefix(StoreKeys.snapshots) {
            state.snapshots[id] = decoded(Snapshot.self)
            return .snapshot(id: id)
        }
        return nil
    }
}

extension String {
    /// The rest of the string after `prefix`, or nil when it does not start with it or nothing follows.
    func dropPrefix(_ prefix: String) -> String? {
        guard hasPrefix(prefix), count > prefix.count else { return nil }
        return String(dropFirst(prefix.count))
    }
}
