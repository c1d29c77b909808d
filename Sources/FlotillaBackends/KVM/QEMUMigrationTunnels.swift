/// The tunnels that live migrations opened on this host (docs/decisions/0027-live-migration.md), by instance id, so
/// that whatever ends a migration (completion, failure, abort) closes them, and the instances whose migration is under
/// way (a second one of the same instance is refused meanwhile).
struct QEMUMigrationTunnels: Sendable {
    /// Destination: the listeners of each incoming instance (its memory stream and its disk server).
    private var listeners: [String: [MigrationTunnelListener]] = [:]
    /// Source: the dialers of each outgoing instance.
    private var dialers: [String: [MigrationTunnelDialer]] = [:]
    /// The instances a migration is moving now, in either direction.
    private(set) var busy: Set<String> = []

    /// Marks `id` as migrating; false when it already is.
    mutating func begin(_ id: String) -> Bool { busy.insert(id).inserted }

    mutating func end(_ id: String) { busy.remove(id) }

    mutating func add(_ listener: MigrationTunnelListener, for id: String) { listeners[id, default: []].append(listener) }

    mutating func add(_ dialer: MigrationTunnelDialer, for id: String) { dialers[id, default: []].append(dialer) }

    /// Forgets and returns the listeners of `id` (the caller closes them).
    mutating func takeListeners(_ id: String) -> [MigrationTunnelListener] { listeners.removeValue(forKey: id) ?? [] }

    /// What the dialers of `id` saw go wrong (refused, token rejected, TLS...).
    func dialerErrors(_ id: String) -> [String] { (dialers[id] ?? []).compactMap { $0.lastError?.description } }

    /// The ids with open tunnels.
    var ids: Set<String> { Set(listeners.keys).union(dialers.keys) }

    /// Forgets and returns the dialers of `id` (the caller closes them).
    mutating func takeDialers(_ id: String) -> [MigrationTunnelDialer] { dialers.removeValue(forKey: id) ?? [] }
}
