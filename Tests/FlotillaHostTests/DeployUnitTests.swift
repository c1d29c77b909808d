import FlotillaHost
import FlotillaTestSupport
import Foundation
import Testing

/// deploy/flotilla.service and deploy/flotilla.env: systemd accepts the unit without a warning, it runs
/// `flotilla serve` as the flotilla user with the environment file and gives a stop longer than the fence's, and
/// the example environment names every variable `flotilla serve --help` names, and nothing else.
@Suite("Deploy unit")
struct DeployUnitTests {
    static let systemdAnalyze = "/usr/bin/systemd-analyze"
    static let root = ConfigurationReferenceTests.root

    @Test(
        "systemd-analyze verify accepts deploy/flotilla.service without a warning",
        .enabled(
            if: FileManager.default.isExecutableFile(atPath: systemdAnalyze)
                || ProcessInfo.processInfo.environment["FLOTILLA_REQUIRE_REAL"] == "1",
            "no /usr/bin/systemd-analyze on this machine (Debian: the systemd package)"))
    func verify() async throws {
        try await withTemporaryDirectory { dir in
            // verify checks that ExecStart's program exists: point it at the built binary, the rest unchanged.
            let unit = try Self.text("deploy/flotilla.service")
            #expect(unit.contains("ExecStart=/usr/local/bin/flotilla serve\n"))
            let copy = dir + "/flotilla.service"
            try unit.replacingOccurrences(of: "/usr/local/bin/flotilla", with: ServeProcess.binary)
                .write(toFile: copy, atomically: true, encoding: .utf8)
            let process = Process()
            process.executableURL = URL(fileURLWithPath: Self.systemdAnalyze)
            process.arguments = ["verify", copy]
            process.currentDirectoryURL = URL(fileURLWithPath: dir)
            let run = try await ProcessRun.capture(process, timeout: .seconds(60))
            // verify exits 0 even for an unknown key or a value it cannot parse: it only warns, on standard error.
            #expect(run.status == 0 && !run.timedOut, "\(run.out)\(run.err)")
            #expect(run.out.isEmpty && run.err.isEmpty, "systemd-analyze verify warned:\n\(run.out)\(run.err)")
        }
    }

    @Test("the unit runs serve as the flotilla user, with the environment file, and stops gracefully after the fence")
    func unitSettings() throws {
        let service = try Self.settings(Self.text("deploy/flotilla.service"), section: "Service")
        #expect(service["User"] == ["flotilla"])
        #expect(service["EnvironmentFile"] == ["/etc/flotilla/flotilla.env"])
        #expect(service["ExecStart"] == ["/usr/local/bin/flotilla serve"])
        #expect(service["Restart"] == ["on-failure"])
        #expect(service["KillSignal"] == ["SIGTERM"])
        #expect(service["DeviceAllow"]?.contains("/dev/kvm rw") == true)
        #expect(service["SupplementaryGroups"]?.first?.split(separator: " ").contains("docker") == true)
        #expect(Int(service["LimitNOFILE"]?.first ?? "") ?? 0 >= 65536)
        // The environment file may move the data folder, so the unit only sets a default before reading it.
        #expect(service["Environment"] == ["FLOTILLA_DATA_DIR=/var/lib/flotilla"])
        let stop = try #require(service["TimeoutStopSec"]?.first.flatMap { Int($0.replacingOccurrences(of: "s", with: "")) })
        #expect(Duration.seconds(stop) > HostConfiguration().fenceStopTimeout)
    }

    @Test("deploy/flotilla.env names every variable serve --help names, each commented, and no other")
    func environmentExample() async throws {
        let example = try Self.text("deploy/flotilla.env")
        var named: Set<String> = []
        for line in example.split(separator: "\n", omittingEmptySubsequences: false) {
            let text = line.trimmingCharacters(in: .whitespaces)
            guard text.hasPrefix("#FLOTILLA_") else {
                #expect(text.isEmpty || text.hasPrefix("# ") || text.hasPrefix("##") || text == "#", "not a comment: \(line)")
                continue
            }
            let assignment = text.dropFirst().split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            #expect(assignment.count == 2, "not NAME=VALUE: \(line)")
            named.insert(String(assignment[0]))
        }
        let served = try await ConfigurationReferenceTests.tokens(
            ConfigurationReferenceTests.variablePattern, in: ConfigurationReferenceTests.help(["serve", "--help"]))
        #expect(served.subtracting(named).isEmpty, "missing from deploy/flotilla.env: \(served.subtracting(named).sorted())")
        #expect(named.subtracting(served).isEmpty, "not a serve variable: \(named.subtracting(served).sorted())")
    }

    static func text(_ path: String) throws -> String {
        try String(contentsOfFile: root + "/" + path, encoding: .utf8)
    }

    /// The `Key=Value` settings of one `[section]` of a unit file; a key given twice keeps both values, in order.
    static func settings(_ unit: String, section: String) -> [String: [String]] {
        var current = ""
        var settings: [String: [String]] = [:]
        for line in unit.split(separator: "\n") {
            let text = line.trimmingCharacters(in: .whitespaces)
            if text.hasPrefix("#") || text.isEmpty { continue }
            if text.hasPrefix("[") {
                current = String(text.dropFirst().dropLast())
                continue
            }
            guard current == section, let equals = text.firstIndex(of: "=") else { continue }
            settings[String(text[..<equals]), default: []].append(String(text[text.index(after: equals)...]))
        }
        return settings
    }
}
