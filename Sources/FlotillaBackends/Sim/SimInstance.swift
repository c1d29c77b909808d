import FlotillaCore

/// One instance held by ``SimBackend``.
struct SimInstance: Sendable {
    let id: String
    let name: String
    let kind: InstanceKind
    var resources: Resources
    var storageTotalBytes: Int64
    var state: ObservedInstance.State {
        didSet { if state != oldValue { record("\(name): \(state.rawValue)") } }
    }
    /// The sim's log (ADR 0024): one line per state the instance entered, the last ``historyLimit`` kept.
    var history: [String] = []
    /// Lines recorded since the instance was created (some may have left ``history``).
    var recorded = 0
    var description: String?
    var exitCode: Int32?
    var meter: SimUsageMeter
    var random: SimRandom

    static let historyLimit = 1_000

    mutating func record(_ line: String) {
        history.append(line)
        recorded += 1
        if history.count > Self.historyLimit { history.removeFirst(history.count - Self.historyLimit) }
    }

    var isRunning: Bool { state == .running || state == .paused }

    var observed: ObservedInstance {
        ObservedInstance(id: id, state: state, description: description, exitCode: exitCode)
    }

    /// The instance's process ended: a graceful shutdown, a kill (`stopped`), or a crash (`error`).
    mutating func exited(code: Int32, description: String, as state: ObservedInstance.State) {
        self.state = state
        exitCode = code
        self.description = description
        meter.stopped()
    }
}
