extension SQLiteClusterStore {
    /// How hard SQLite works to make a commit durable (`PRAGMA synchronous`).
    public enum Synchronous: String, Sendable, Equatable {
        /// Every commit is fsynced before it is acknowledged: neither a crash nor a power loss loses an
        /// acknowledged write. The default.
        case full
        /// WAL checkpoints are fsynced, commits are not: a process crash (even SIGKILL) loses nothing, a power
        /// loss or OS crash may lose the last commits. Much faster.
        case normal

        /// The value `PRAGMA synchronous` reports for this mode.
        var pragmaValue: Int {
            switch self {
            case .full: return 2
            case .normal: return 1
            }
        }
    }
}
