/// Why a step of a kvm snapshot failed, in QEMU's words or the backend's (wrapped into
/// `BackendError.failed("snapshot of X failed while <step>: <why>")`).
struct QEMUSnapshotFailure: Error, Sendable, Equatable, CustomStringConvertible {
    var description: String

    init(_ description: String) { self.description = description }
}
