/// Thrown when an operation passes its deadline.
public struct DeadlineExceeded: Error, Sendable, CustomStringConvertible {
    public var after: Duration
    public var description: String { "deadline of \(after) exceeded" }
}

/// Runs `operation`, cancelling it and throwing ``DeadlineExceeded`` when it takes longer than `timeout`.
public func withDeadline<T: Sendable>(
    _ timeout: Duration, _ operation: @escaping @Sendable () async throws -> T
) async throws -> T {
    try await withThrowingTaskGroup(of: T?.self) { group in
        group.addTask { try await operation() }
        group.addTask {
            try await Task.sleep(for: timeout)
            return nil
        }
        defer { group.cancelAll() }
        guard let first = try await group.next(), let value = first else {
            throw DeadlineExceeded(after: timeout)
        }
        return value
    }
}
