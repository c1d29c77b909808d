/// Polls `probe` every `interval` until it returns a value, and returns that value; throws ``ProcessFailure``
/// naming `what` after `timeout`. An error from `probe` ends the wait at once (write `try?` inside it where an
/// error only means "not yet"), unless `retryingErrors`: then an error means "not yet" too (a call retried until a
/// leader answers it), and the last one is named in the failure. The tests' one polling helper: every wait for
/// something to happen goes through it.
///
/// A name of its own, not an overload of ``eventually(_:timeout:every:retryingErrors:_:)``: a condition's `false`
/// would otherwise be taken for a value (`Optional(false)`) and end the wait at once.
@discardableResult
public func eventuallyValue<T: Sendable>(
    _ what: String, timeout: Duration = .seconds(10), every interval: Duration = .milliseconds(50), retryingErrors: Bool = false,
    _ probe: () async throws -> T?
) async throws -> T {
    let deadline = ContinuousClock.now + timeout
    var lastError: (any Error)?
    while ContinuousClock.now < deadline {
        do {
            if let value = try await probe() { return value }
        } catch {
            guard retryingErrors, !(error is CancellationError) else { throw error }
            lastError = error
        }
        try await Task.sleep(for: interval)
    }
    throw ProcessFailure("timed out after \(timeout): \(what)" + (lastError.map { " (last error: \($0))" } ?? ""))
}

/// Polls `condition` every `interval` until it holds; throws ``ProcessFailure`` naming `what` after `timeout`
/// (``eventuallyValue(_:timeout:every:retryingErrors:_:)``, for a condition).
public func eventually(
    _ what: String, timeout: Duration = .seconds(10), every interval: Duration = .milliseconds(50), retryingErrors: Bool = false,
    _ condition: () async throws -> Bool
) async throws {
    try await eventuallyValue(what, timeout: timeout, every: interval, retryingErrors: retryingErrors) {
        try await condition() ? () : nil
    }
}
