extension Observation {
    /// What the reconciler is shown, once the fence is lifted, for an instance this host's fence stopped: an
    /// abnormal end the host imposed, not the workload's own exit. It counts as a failure for the restart policy
    /// (`always` and `on-failure` start it again, `never` leaves it stopped) and says why. An instance that runs
    /// again, or that the backend no longer holds, is shown as it is.
    public func fenced(reason: String) -> Observation {
        guard case .present(var o) = self, o.state == .stopped || o.state == .created || o.state == .error else { return self }
        o.state = .error
        o.description = reason
        return .present(o)
    }
}
