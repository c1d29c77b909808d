/// Polls `condition` every `interval` until it holds; throws ``ProcessFailure`` naming `what` after
/// `timeout`. An error from `condition` ends the wait at once (write `try?` inside it where an error only
/// means "not yet").
public func eventually(
    _ what: String, timeout: Duration = .seconds(10), every interval: Duration = .milliseconds(50),
    _ condition: () async throws -> Bool
) async throws {
    let deadline = ContinuousClock.now + timeout
    while ContinuousClock.now < deadline {
        if try await condition() { return }
        try await Task.sleep(for: interval)
    }
    throw ProcessFailure("timed out after \(timeout): \(what)")
}
