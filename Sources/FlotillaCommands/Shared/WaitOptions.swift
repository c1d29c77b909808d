import ArgumentParser

/// `--no-wait` and `--timeout SECONDS`, taken by every command that waits for an instance to reach a state
/// (`flotilla instance create|start|stop|restart|pause|unpause|delete`, `flotilla vm create|start|stop|reboot|delete`).
/// The wait happens in the server (`?timeout=` on surfaces A and C); see ``ActionRunner`` for how it ends.
struct WaitOptions: ParsableArguments {
    /// The server's own default wait, sent explicitly so that a report names the bound that applied.
    static let defaultSeconds = 60
    /// What the server accepts for `?timeout=`, except 0 (not waiting is `--no-wait`).
    static let allowedSeconds = 1...3600

    @Flag(name: .customLong("no-wait"), help: "Return as soon as the server took the action, without waiting for the outcome.")
    var noWait = false

    @Option(
        help: ArgumentHelp(
            "Seconds to wait for the outcome, 1 to 3600 (default 60); exit status 1 when the instance is not there by then.",
            valueName: "seconds"))
    var timeout: Int?

    func validate() throws {
        if let timeout, !Self.allowedSeconds.contains(timeout) {
            throw ValidationError("--timeout must be from \(Self.allowedSeconds.lowerBound) to \(Self.allowedSeconds.upperBound) seconds")
        }
        if timeout != nil && noWait { throw ValidationError("--timeout and --no-wait cannot be used together") }
    }

    /// Whether the command waits for the outcome.
    var wait: Bool { !noWait }

    /// The seconds the server is asked to wait: `--timeout`, else `fallback`; `nil` with `--no-wait`.
    func seconds(default fallback: Int = WaitOptions.defaultSeconds) -> Int? {
        noWait ? nil : (timeout ?? fallback)
    }
}
