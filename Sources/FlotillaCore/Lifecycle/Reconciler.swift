public import Foundation

/// What the owning host found in its backend for one instance.
public enum Observation: Sendable, Equatable {
    /// The backend holds it, in this state.
    case present(ObservedInstance)
    /// The backend does not hold it (never created, lost, or removed behind Flotilla's back).
    case absent
    /// The backend is down or did not answer: nothing is known of the instance.
    case unavailable(String)
}

/// One call to the backend.
public enum BackendStep: Sendable, Equatable {
    case create
    case start
    /// Applies the spec's resources before a start (they changed while the instance was not running).
    case applyResources
    /// Applies the spec's resources to the running instance.
    case resizeLive
    case stop(force: Bool, timeoutSeconds: Int)
    case restart(hard: Bool, timeoutSeconds: Int)
    case pause
    case resume
    case delete(force: Bool)
}

/// What to do for one instance: backend steps, then a report once they all succeeded.
public struct ReconcilePlan: Sendable, Equatable {
    public var steps: [BackendStep]
    /// What to record once every step succeeded; nil: nothing to record.
    public var report: Report?
    /// Look again at this time (a restart is backing off); nil: only when something changes.
    public var wakeAt: Date?

    public init(steps: [BackendStep] = [], report: Report? = nil, wakeAt: Date? = nil) {
        self.steps = steps
        self.report = report
        self.wakeAt = wakeAt
    }

    /// Nothing to do.
    public static let idle = ReconcilePlan()
}

/// Why a backend step failed, as the reconciler needs to know it.
public enum StepFailure: Sendable, Equatable {
    /// The backend is down or did not answer.
    case unavailable(String)
    /// The backend refused or failed the step.
    case failed(String)
}

/// The owning host's decisions for one instance, as pure functions (the agent only executes them):
/// given the record and what the backend holds, which steps bring the backend to the desired state and what to
/// record. First the truth: a change behind Flotilla's back is recorded as it is. Then convergence: a user's
/// action in flight is carried out; a settled instance is driven to its desired state; an instance that should
/// run and stopped on its own is restarted according to its ``RestartPolicy``, with back-off. An exit or error
/// seen during or just after an outage of the backend says so (``OutageAttribution``).
public struct Reconciler: Sendable, Equatable {
    public var backoff: RestartBackoff
    public var outage: OutageAttribution

    public init(backoff: RestartBackoff = RestartBackoff(), outage: OutageAttribution = OutageAttribution()) {
        self.backoff = backoff
        self.outage = outage
    }

    /// The plan for `instance`, placed on this host, given what its backend holds and what the host knows of the
    /// backend's availability (for the reason of an exit or error it records).
    public func plan(
        _ instance: Instance, _ observation: Observation, now: Date, backend availability: BackendAvailability = .available
    ) -> ReconcilePlan {
        guard instance.isLive, instance.state != .pending else { return .idle }
        if case .unavailable(let reason) = observation { return unavailable(instance, reason, now: now) }
        if instance.state == .deleting || instance.desired == .deleted { return delete(instance, observation) }
        switch instance.state {
        case .creating: return create(instance, observation)
        case .starting: return start(instance, observation)
        case .stopping: return stop(instance, observation)
        case .restarting: return restart(instance, observation)
        case .running, .paused, .stopped, .error: return settled(instance, observation, now: now, availability)
        case .pending, .deleting, .deleted: return .idle
        }
    }

    /// What to record when a step of `instance`'s plan failed at `now`, given what the host knows of the backend's
    /// availability.
    public func failure(
        _ instance: Instance, _ failure: StepFailure, now: Date, backend availability: BackendAvailability = .available
    ) -> Report {
        var restarts = instance.restarts
        restarts?.nextAttemptAt = nil
        switch failure {
        case .unavailable(let reason):
            return Report(state: .error, description: Self.unavailableDescription(instance, reason), restarts: restarts)
        case .failed(let message):
            return Report(
                state: .error, description: outage.reason(message, on: instance.backend, availability, now: now),
                restarts: restarts)
        }
    }

    static func unavailableDescription(_ instance: Instance, _ reason: String) -> String {
        "\(unavailablePrefix(instance))\(reason)): the instance's state is unknown"
    }

    private static func unavailablePrefix(_ instance: Instance) -> String {
        "the \(instance.backend.rawValue) backend is unavailable ("
    }

    /// Whether the instance is in `error` only because its backend could not be asked (its state is unknown).
    static func isUnknown(_ instance: Instance) -> Bool {
        instance.state == .error && instance.stateDescription?.hasPrefix(unavailablePrefix(instance)) == true
    }

    // MARK: The backend is down

    /// Nothing can be known or done: an action in flight fails, a settled instance is recorded as unknown
    /// (never a stale `running` presented as live). The restart count is not touched: an outage is not the
    /// instance's failure. When the backend comes back, the next plan sees what it holds.
    private func unavailable(_ instance: Instance, _ reason: String, now: Date) -> ReconcilePlan {
        let description = Self.unavailableDescription(instance, reason)
        guard instance.state != .error || instance.stateDescription != description else { return .idle }
        return ReconcilePlan(report: failure(instance, .unavailable(reason), now: now))
    }

    // MARK: Actions in flight

    private func create(_ instance: Instance, _ observation: Observation) -> ReconcilePlan {
        let exists = observation != .absent
        var steps: [BackendStep] = exists ? [] : [.create]
        if instance.desired == .running || instance.desired == .paused {
            if observed(observation) != .running { steps.append(.start) }
            return ReconcilePlan(steps: steps, report: Report(state: .running, launched: true))
        }
        return ReconcilePlan(steps: steps, report: Report(state: .stopped))
    }

    private func start(_ instance: Instance, _ observation: Observation) -> ReconcilePlan {
        switch observed(observation) {
        case nil:
            return ReconcilePlan(steps: [.create, .start], report: Report(state: .running, launched: true))
        case .running:
            return ReconcilePlan(report: Report(state: .running, launched: true))
        case .paused:
            return ReconcilePlan(steps: [.resume], report: Report(state: .running, launched: true))
        default:
            let resize = instance.generation > instance.appliedGeneration && instance.appliedGeneration > 0
            return ReconcilePlan(
                steps: (resize ? [.applyResources] : []) + [.start], report: Report(state: .running, launched: true))
        }
    }

    private func stop(_ instance: Instance, _ observation: Observation) -> ReconcilePlan {
        let options = instance.stopOptions
        let description = options.force ? "stopped (forced)" : nil
        switch observed(observation) {
        case .running, .paused:
            return ReconcilePlan(
                steps: [.stop(force: options.force, timeoutSeconds: options.timeoutSeconds)],
                report: Report(state: .stopped, description: description))
        default:
            return ReconcilePlan(report: Report(state: .stopped, description: description))
        }
    }

    private func restart(_ instance: Instance, _ observation: Observation) -> ReconcilePlan {
        let running = Report(state: .running, launched: true)
        switch observed(observation) {
        case nil: return ReconcilePlan(steps: [.create, .start], report: running)
        case .running, .paused:
            return ReconcilePlan(
                steps: [.restart(hard: instance.hardRestart, timeoutSeconds: instance.stopOptions.timeoutSeconds)],
                report: running)
        default: return ReconcilePlan(steps: [.start], report: running)
        }
    }

    private func delete(_ instance: Instance, _ observation: Observation) -> ReconcilePlan {
        let deleted = Report(state: .deleted)
        guard let state = observed(observation) else { return ReconcilePlan(report: deleted) }
        let runs = state == .running || state == .paused
        let force = instance.stopOptions.force
        var steps: [BackendStep] = []
        if runs && !force { steps.append(.stop(force: false, timeoutSeconds: instance.stopOptions.timeoutSeconds)) }
        steps.append(.delete(force: force || runs))
        return ReconcilePlan(steps: steps, report: deleted)
    }

    // MARK: Settled instances

    private func settled(
        _ instance: Instance, _ observation: Observation, now: Date, _ availability: BackendAvailability
    ) -> ReconcilePlan {
        let seen = observed(observation)
        let wantsToRun = instance.desired == .running || instance.desired == .paused
        // Stopped on its own (or gone) while it should run: the restart policy decides.
        if wantsToRun && (seen == nil || seen == .stopped || seen == .error) {
            return exited(instance, observation, now: now, availability)
        }
        // A failed action (a stop or a pause the backend refused) stays in `error`, with its reason, until the user
        // acts: retrying it every round would flap the record. Only an error that means "unknown" (the backend
        // could not be asked) gives way to what the backend holds once it answers again.
        if instance.state == .error && !wantsToRun && !Self.isUnknown(instance) { return .idle }
        // The truth first: a change made behind Flotilla's back is recorded as it is.
        if let seen, seen != instance.state {
            var description: String? =
                if case .present(let o) = observation { o.description } else { nil }
            if seen == .error, outage.covers(availability, now: now) {
                description = outage.reason(description ?? "failed", on: instance.backend, availability, now: now)
            }
            var restarts = instance.restarts
            if seen == .running { restarts = nil }
            return ReconcilePlan(report: Report(state: seen, description: description, restarts: restarts))
        }
        // Then the desired state.
        switch (instance.state, instance.desired) {
        case (.running, .paused):
            return ReconcilePlan(steps: [.pause], report: Report(state: .paused))
        case (.paused, .running):
            return ReconcilePlan(steps: [.resume], report: Report(state: .running))
        case (.running, .stopped), (.paused, .stopped):
            return ReconcilePlan(
                steps: [.stop(force: false, timeoutSeconds: instance.stopOptions.timeoutSeconds)],
                report: Report(state: .stopped, description: "stopped again: its desired state is stopped"))
        case (.running, .running):
            return running(instance, now: now)
        default:
            return .idle
        }
    }

    /// A running instance that should run: pending live resources, and the restart count reset after a stable run.
    private func running(_ instance: Instance, now: Date) -> ReconcilePlan {
        let resize = instance.generation > instance.appliedGeneration && instance.appliedGeneration > 0
        if resize {
            return ReconcilePlan(
                steps: [.resizeLive],
                report: Report(
                    state: .running, description: instance.stateDescription, resourcesApplied: true,
                    restarts: instance.restarts))
        }
        guard instance.restarts != nil else { return .idle }
        let stableSince = instance.launchedAt ?? instance.updatedAt
        let stableFor = now.timeIntervalSince(stableSince)
        guard stableFor >= backoff.resetAfter else {
            return ReconcilePlan(wakeAt: stableSince.addingTimeInterval(backoff.resetAfter))
        }
        return ReconcilePlan(report: Report(state: .running, description: instance.stateDescription, restarts: nil))
    }

    /// An instance that should run and does not (it exited, crashed, was killed or removed, or failed to start):
    /// restart it when its policy says so, after the back-off; otherwise record that it will not be restarted.
    private func exited(
        _ instance: Instance, _ observation: Observation, now: Date, _ availability: BackendAvailability
    ) -> ReconcilePlan {
        let seenState: InstanceState
        var why: String
        let failure: Bool
        switch observation {
        case .present(let o):
            seenState = o.lifecycleState
            why = o.description ?? (seenState == .error ? "failed" : "stopped")
            failure = seenState == .error || (o.exitCode ?? 0) != 0
        default:
            seenState = .error
            // Absent after a step failed (a create that could not be done): that failure is why, not a removal.
            if instance.state == .error, !Self.isUnknown(instance), let reason = instance.stateDescription {
                why = reason
            } else {
                why = "removed from the \(instance.backend.rawValue) backend outside Flotilla"
            }
            failure = true
        }
        why = outage.reason(why, on: instance.backend, availability, now: now)
        var status = instance.restarts ?? RestartStatus()
        if status.gaveUp {
            // Settled where the policy left it; only a change of what the backend holds is recorded.
            guard seenState != instance.state else { return .idle }
            return ReconcilePlan(report: Report(state: seenState, description: instance.stateDescription, restarts: status))
        }
        if let due = status.nextAttemptAt {
            guard now >= due else { return ReconcilePlan(wakeAt: due) }
            status.nextAttemptAt = nil
            return ReconcilePlan(
                steps: (observation == .absent ? [.create] : []) + [.start],
                report: Report(
                    state: .running,
                    description: "restarted by its restart policy (\(instance.spec.effectiveRestartPolicy.description), "
                        + "attempt \(status.attempts))",
                    launched: true, restarts: status))
        }
        // A new exit. Attempts count in a row: a run longer than `resetAfter` starts the count again.
        if instance.state == .running || instance.state == .paused, let launched = instance.launchedAt,
            now.timeIntervalSince(launched) >= backoff.resetAfter
        {
            status.attempts = 0
        }
        let policy = instance.spec.effectiveRestartPolicy
        let restarts = policy.mode == .always || (policy.mode == .onFailure && failure)
        if restarts, policy.attemptLimit.map({ status.attempts < $0 }) ?? true {
            status.attempts += 1
            let delay = backoff.delay(beforeAttempt: status.attempts)
            let due = now.addingTimeInterval(delay)
            status.nextAttemptAt = due
            let of = policy.attemptLimit.map { " of \($0)" } ?? ""
            return ReconcilePlan(
                report: Report(
                    state: seenState,
                    description: "\(why); restarting in \(Self.seconds(delay)) (attempt \(status.attempts)\(of), "
                        + "restart policy \(policy.description))",
                    restarts: status),
                wakeAt: due)
        }
        status.gaveUp = true
        let reason: String
        switch policy.mode {
        case .never: reason = "not restarted: restart policy never"
        case .onFailure where !failure: reason = "not restarted: it exited cleanly (restart policy \(policy.description))"
        default: reason = "not restarted: gave up after \(status.attempts) restarts (restart policy \(policy.description))"
        }
        return ReconcilePlan(
            report: Report(state: seenState, description: "\(why); \(reason)", desired: .stopped, restarts: status))
    }

    /// The observed lifecycle state, nil when the backend does not hold the instance.
    private func observed(_ observation: Observation) -> InstanceState? {
        if case .present(let o) = observation { return o.lifecycleState }
        return nil
    }

    static func seconds(_ t: TimeInterval) -> String {
        t == t.rounded() ? "\(Int(t)) s" : String(format: "%.1f s", t)
    }
}
