import FlotillaTestSupport
import Foundation
import Testing

/// What a failing process test prints of a host that crashed: the head of the runtime's crash report (what crashed
/// and the crashed thread's frames), which a backtrace of every thread pushes out of the log's tail.
@Suite("Failure logs")
struct FailureLogsTests {
    /// A log shaped like the Swift runtime backtracer's report, between ordinary log lines.
    static func log(threads: Int, framesPerThread: Int, after: Int) -> String {
        var lines = ["2026-12-01T03:45:08+0000 info flotilla: worker registered"]
        lines.append("💣 Program crashed: Bad pointer dereference at 0x0000000000000010")
        lines.append("")
        for thread in 0..<threads {
            lines.append(thread == 0 ? "Thread 0 crashed:" : "Thread \(thread) \"NIO-ELT-0-#\(thread)\":")
            lines.append("")
            lines += (0..<framesPerThread).map { "  \($0) [ra] 0x00005615 frame \($0) of thread \(thread) in flotilla" }
            lines.append("")
        }
        lines.append("Backtrace took 8.55s")
        lines += (0..<after).map { "2026-12-01T03:45:32+0000 info flotilla: line \($0) after the restart" }
        return lines.joined(separator: "\n")
    }

    /// The logs of the table below, named: the test's output prints a case's arguments, and a crash report there
    /// would read as a crash of the test run itself.
    enum Sample: String, CaseIterable, CustomTestStringConvertible {
        case oneCrash, twoCrashes, instanceCrashLogged, empty

        var log: String {
            switch self {
            case .oneCrash: FailureLogsTests.log(threads: 3, framesPerThread: 5, after: 2)
            case .twoCrashes:
                FailureLogsTests.log(threads: 3, framesPerThread: 5, after: 2) + "\n"
                    + FailureLogsTests.log(threads: 2, framesPerThread: 2, after: 0)
            case .instanceCrashLogged: "2026-12-01T03:45:08+0000 info flotilla: a crash of an instance is logged, not of the host"
            case .empty: ""
            }
        }
        var crashes: Int { [.oneCrash: 1, .twoCrashes: 2][self] ?? 0 }
        var testDescription: String { rawValue }
    }

    @Test("each crash report's first line is found; a log without one has none", arguments: Sample.allCases)
    func crashesFound(sample: Sample) {
        let crashes = FailureLogs.crashes(in: sample.log)
        #expect(crashes.count == sample.crashes)
        #expect(FailureLogs.holdsCrashReport(Substring(sample.log)) == (sample.crashes > 0))
        #expect(crashes.allSatisfy { $0.hasPrefix("💣 Program crashed: Bad pointer dereference") })
    }

    @Test("a crash report pushed out of the tail is printed ahead of it, through the crashed thread only")
    func crashHeadAheadOfTail() {
        let text = FailureLogs.tail(of: "h1", Self.log(threads: 12, framesPerThread: 20, after: 150))
        let sections = text.components(separatedBy: "=== host h1, ")
        #expect(sections.count == 3, "a crash section and the tail")
        let crash = sections[1]
        #expect(crash.hasPrefix("a crash report in its log:"))
        #expect(crash.contains("Program crashed: Bad pointer dereference"))
        #expect(crash.contains("frame 19 of thread 0"))
        #expect(!crash.contains("of thread 1"), "the other threads are left out")
        #expect(sections[2].hasPrefix("last \(FailureLogs.tailLines) lines of its log:"))
    }

    @Test("a crash report the tail holds is not printed twice")
    func crashInTail() {
        let text = FailureLogs.tail(of: "h1", Self.log(threads: 2, framesPerThread: 3, after: 5))
        #expect(text.components(separatedBy: "Program crashed").count == 2)
        #expect(!text.contains("a crash report in its log"))
    }
}
