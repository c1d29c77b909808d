/// Why a step of a live migration failed, in words that go after "failed while <step>: "
/// (docs/decisions/0027-live-migration.md).
enum QEMUMigrationFailure: Error, Sendable, CustomStringConvertible {
    /// The migration's own deadline passed.
    case timeout(Duration)
    /// QEMU (or the tunnel) said what went wrong.
    case reason(String)

    var description: String {
        switch self {
        case .timeout(let limit): return "the \(limit) migration timeout passed"
        case .reason(let text): return text
        }
    }
}
