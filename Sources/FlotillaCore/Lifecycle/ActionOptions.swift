/// Options of one lifecycle action.
public struct ActionOptions: Sendable, Equatable {
    public var force: Bool
    /// Seconds a graceful stop may take before it is forced; nil: 30.
    public var timeoutSeconds: Int?
    /// A hard reset rather than a graceful restart.
    public var hard: Bool
    /// Which actions the calling surface accepts from which states.
    public var rules: LifecycleRules

    public init(force: Bool = false, timeoutSeconds: Int? = nil, hard: Bool = false, rules: LifecycleRules = .standard) {
        self.force = force
        self.timeoutSeconds = timeoutSeconds
        self.hard = hard
        self.rules = rules
    }

    /// The graceful-stop timeout when none is given.
    public static let defaultTimeoutSeconds = 30
}
