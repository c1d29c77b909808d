import Foundation
import Testing

/// What a failing test shows of the hosts it ran: their logs, kept in memory while it runs and printed only when it
/// fails (docs/architecture.md, "Proving it under faults"). The process fixtures (``FixtureStack``, ``FaultCluster``)
/// run their bodies through ``onFailure(_:_:)``.
public enum FailureLogs {
    /// How many of a host's last log lines a failure shows.
    public static let tailLines = 200

    /// Runs `body`. When it throws, or when an issue that fails the test is recorded while it runs (an `#expect` that
    /// did not hold, in it or in a task it started), prints what `report` gives (with the error, if one was thrown).
    /// A passing test prints nothing.
    public static func onFailure<T>(_ report: ((any Error)?) async -> String, _ body: () async throws -> T) async throws -> T {
        let failed = LockedBox(false)
        let result: T
        do {
            if let test = Test.current {
                // Swift Testing's issue-handling trait, applied around the body only: it sees every issue recorded in
                // it and passes each on unchanged.
                let watch = IssueHandlingTrait.compactMapIssues { issue in
                    if issue.isFailure { failed.withLock { $0 = true } }
                    return issue
                }
                result = try await withoutActuallyEscaping(body) { body in
                    // Safe: the scope runs `body` once and is awaited here; nothing else reads or writes `value`.
                    nonisolated(unsafe) let body = body
                    nonisolated(unsafe) var value: T?
                    try await watch.provideScope(for: test, testCase: Test.Case.current) { value = try await body() }
                    guard let value else { throw ProcessFailure("the test scope did not run its body") }
                    return value
                }
            } else {
                result = try await body()
            }
        } catch {
            print(await report(error))
            throw error
        }
        if failed.value { print(await report(nil)) }
        return result
    }

    /// The last ``tailLines`` lines of `log`, under a header naming the host; before them, each crash report in `log`
    /// that the tail does not hold whole (a backtrace of every thread is longer than the tail, and its head, naming
    /// the crash and the crashed thread, is what matters).
    public static func tail(of host: String, _ log: String) -> String {
        let all = log.split(separator: "\n", omittingEmptySubsequences: false)
        let lines = all.suffix(tailLines)
        var text = ""
        for crash in crashes(in: all) where crash.lowerBound < lines.startIndex {
            text += "=== host \(host), a crash report in its log:\n" + all[crash].joined(separator: "\n") + "\n"
        }
        return text + "=== host \(host), last \(lines.count) lines of its log:\n" + lines.joined(separator: "\n")
    }

    /// The first line of each crash report in `log` ("Program crashed: ..."): a process that crashed is a failure
    /// whatever else the test saw.
    public static func crashes(in log: String) -> [String] {
        let all = log.split(separator: "\n", omittingEmptySubsequences: false)
        return crashes(in: all).map { all[$0.lowerBound].trimmingCharacters(in: .whitespaces) }
    }

    /// Whether `log` holds a crash report (``crashes(in:)`` without collecting them).
    public static func holdsCrashReport(_ log: Substring) -> Bool { log.contains(crashMarker) }

    /// The line that says the runtime's backtracer starts a report.
    private static let crashMarker = "Program crashed:"

    /// The lines of each crash report: from its first line through the crashed thread's frames (up to the next
    /// thread's header), at most 120 lines.
    private static func crashes(in lines: [Substring]) -> [Range<Int>] {
        var found: [Range<Int>] = []
        var index = lines.startIndex
        while let start = lines[index...].firstIndex(where: { $0.contains(crashMarker) }) {
            let limit = min(start + 120, lines.endIndex)
            var threads = 0
            var end = limit
            for i in start..<limit where lines[i].trimmingCharacters(in: .whitespaces).hasPrefix("Thread ") {
                threads += 1
                if threads == 2 {
                    end = i
                    break
                }
            }
            found.append(start..<end)
            index = end
        }
        return found
    }
}
