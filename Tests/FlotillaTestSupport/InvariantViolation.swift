/// One broken invariant: its kind (`duplicate`, `lostCreate`, `deleteNotGone`, `overAllocated`, `notConverged`,
/// `orphan`, `revisionBack`, `revisionSkip`) and what was seen.
public struct InvariantViolation: Sendable, CustomStringConvertible, Equatable {
    public var kind: String
    public var detail: String

    public init(kind: String, detail: String) {
        self.kind = kind
        self.detail = detail
    }

    public var description: String { "\(kind): \(detail)" }
}
