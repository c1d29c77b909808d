import FlotillaTestSupport
import Foundation
import Testing

/// The README's "Run a 3-host cluster" one-machine variant, run as written: its shell block is taken from README.md
/// at test time and run by bash in an empty folder, with the built `flotilla` and Debian's etcd on the PATH (three
/// etcd members over TLS, three hosts, a placement in a zone, a drain). It uses the fixed loopback ports the README
/// names (etcd 2n379/2n380, Flotilla 808n/909n), so it runs in phase 2 of scripts/test.sh, alone.
@Suite("README cluster walk-through", .serialized)
struct ReadmeClusterTests {
    @Test(
        "the one-machine variant of the README runs as written: three workers, a zone placement, a drain and activate",
        .enabled(if: EtcdCluster.testsEnabled, "etcd is not installed (Debian: etcd-server)"))
    func oneMachineVariant() async throws {
        let readme = try String(contentsOfFile: ConfigurationReferenceTests.root + "/README.md", encoding: .utf8)
        let block = try #require(Self.shellBlock(after: "### The same on one machine", in: readme), "no sh block in README.md")
        let ports = [21379, 21380, 22379, 22380, 23379, 23380, 8081, 8082, 8083, 9091, 9092, 9093]
        // A port something answers on is taken (the walk-through would fail on it for a reason of its own).
        let busy = ports.filter { (try? LoopbackSocket.connect(port: $0, timeout: .seconds(1))) != nil }
        try #require(busy.isEmpty, "the README's ports are taken on this machine: \(busy)")
        try await withTemporaryDirectory { dir in
            // On any exit (a failed command, the timeout's SIGTERM) the block's background hosts and members stop.
            let wrapper = "set -eu\ntrap 'kill $(jobs -p) 2>/dev/null || true; wait' EXIT TERM INT\n" + block
            try wrapper.write(toFile: dir + "/walkthrough.sh", atomically: true, encoding: .utf8)
            let process = Process()
            process.executableURL = URL(fileURLWithPath: "/usr/bin/timeout")
            process.arguments = ["240", "bash", "walkthrough.sh"]
            process.currentDirectoryURL = URL(fileURLWithPath: dir)
            var environment = ProcessInfo.processInfo.environment.filter { !$0.key.hasPrefix("FLOTILLA_") }
            let bin = URL(fileURLWithPath: ServeProcess.binary).deletingLastPathComponent().path
            environment["PATH"] = bin + ":" + (environment["PATH"] ?? "/usr/bin:/bin")
            process.environment = environment
            let run = try await ProcessRun.capture(process, timeout: .seconds(300))
            let logs = (1...3).map { n in (try? String(contentsOfFile: dir + "/serve-h\(n).log", encoding: .utf8)) ?? "" }
            let context = "stdout:\n\(run.out)\nstderr:\n\(run.err)\nh1's log:\n\(logs[0].suffix(3000))"
            #expect(run.status == 0 && !run.timedOut, "\(context)")
            // worker list, then the list another host gives after the drain: every worker healthy, in its zone.
            for n in 1...3 {
                #expect(run.out.contains(try Regex("h\(n) +\\S+ +zone-\(n) +active +yes")), "h\(n) not active: \(context)")
            }
            let web = run.out.firstMatch(of: try Regex(#"(?s)Name: +web\n.*?Worker: +(\S+)"#))
            #expect(web?.output[1].substring == "h2", "web (--zone zone-2) is not on h2: \(context)")
            #expect(run.out.contains("h1: draining"), "\(context)")
            #expect(run.out.contains(try Regex("h1 +\\S+ +zone-1 +draining +yes +0/\\d+ +0/\\d+ +0/100")), "h1 not emptied: \(context)")
            #expect(run.out.contains("h1: active"), "\(context)")
        }
    }

    /// The first ```sh block after `heading` in `markdown`.
    static func shellBlock(after heading: String, in markdown: String) -> String? {
        guard let section = markdown.range(of: heading),
            let open = markdown.range(of: "```sh\n", range: section.upperBound..<markdown.endIndex),
            let close = markdown.range(of: "```\n", range: open.upperBound..<markdown.endIndex)
        else { return nil }
        return String(markdown[open.upperBound..<close.lowerBound])
    }
}
