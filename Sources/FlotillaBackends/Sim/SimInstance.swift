import FlotillaCore

/// One instance held by ``SimBackend``.
struct SimInstance: Sendable {
    let id: String
    let name: String
    let kind: InstanceKind
    var resources: Resources
    var storageTotalBytes: Int64
    var state: ObservedInstance.State
    var description: String?
    var exitCode: Int32?
    var meter: SimUsageMeter
    var random: SimRandom

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
