import Foundation

extension Process {
    /// Waits until the process has exited, polling every `interval` (``eventually(_:timeout:every:retryingErrors:_:)``
    /// underneath); false when it still runs after `timeout`, or when the waiting task is cancelled.
    @discardableResult
    public func exits(within timeout: Duration, every interval: Duration = .milliseconds(20)) async -> Bool {
        (try? await eventually("process \(processIdentifier) exits", timeout: timeout, every: interval) { !isRunning }) != nil
    }
}
