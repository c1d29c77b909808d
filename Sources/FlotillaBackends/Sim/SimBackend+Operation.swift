extension SimBackend {
    /// The calls of the ``ComputeBackend`` port that can be slowed down or made to fail.
    public enum Operation: String, Sendable, Hashable, CaseIterable {
        case create, start, stop, restart, pause, resume, delete, update, inspect, usage, list
    }
}
