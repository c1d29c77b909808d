#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// The process's open-file limit (RLIMIT_NOFILE), which bounds the connections the HTTP listener may hold
/// (docs/decisions/0013-connection-limits.md).
public enum OpenFileLimit {
    /// The soft limit in force now: how many files the process may have open.
    public static var current: Int {
        var limit = rlimit()
        guard getrlimit(resourceNoFile, &limit) == 0 else { return 1024 }
        return clamp(limit.rlim_cur)
    }

    /// Raises the soft limit to the hard one, as any process may; returns the soft limit before and after.
    /// A hard limit of "unlimited" is taken as 1,048,576 (Linux's default `fs.nr_open`).
    @discardableResult
    public static func raiseToHard() -> (before: Int, after: Int) {
        var limit = rlimit()
        guard getrlimit(resourceNoFile, &limit) == 0 else { return (1024, 1024) }
        let before = clamp(limit.rlim_cur)
        let target = limit.rlim_max == rlim_t.max ? rlim_t(1 << 20) : limit.rlim_max
        guard target > limit.rlim_cur else { return (before, before) }
        var raised = limit
        raised.rlim_cur = target
        guard setrlimit(resourceNoFile, &raised) == 0 else { return (before, before) }
        return (before, current)
    }

    private static func clamp(_ value: rlim_t) -> Int {
        value == rlim_t.max ? 1 << 20 : Int(clamping: value)
    }

    #if canImport(Glibc)
        private static let resourceNoFile = __rlimit_resource_t(RLIMIT_NOFILE.rawValue)
    #else
        private static let resourceNoFile = RLIMIT_NOFILE
    #endif
}
