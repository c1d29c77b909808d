import Foundation

/// A process run to its end with its output captured: exit status, standard output, standard error, and whether
/// it was killed (SIGKILL) at its deadline.
public struct ProcessRun: Sendable {
    public var status: Int32
    public var out: String
    public var err: String
    public var timedOut: Bool

    /// Starts `process` (configured, not started: its standard output and error are replaced) and waits until it
    /// exits, or kills it once `timeout` has passed.
    public static func capture(_ process: Process, timeout: Duration) async throws -> ProcessRun {
        let out = Pipe()
        let err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        async let o = Task.detached { out.fileHandleForReading.readDataToEndOfFile() }.value
        async let e = Task.detached { err.fileHandleForReading.readDataToEndOfFile() }.value
        await process.exits(within: timeout, every: .milliseconds(5))
        let timedOut = process.isRunning
        if timedOut { kill(process.processIdentifier, SIGKILL) }
        process.waitUntilExit()
        let (od, ed) = await (o, e)
        return ProcessRun(
            status: process.terminationStatus, out: String(decoding: od, as: UTF8.self), err: String(decoding: ed, as: UTF8.self),
            timedOut: timedOut)
    }
}
