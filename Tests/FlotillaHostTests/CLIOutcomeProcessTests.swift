import FlotillaAPI
import FlotillaTestSupport
import Foundation
import Testing

/// Exit statuses and messages of the waiting commands (`flotilla instance ...`, `flotilla vm ...`) against real
/// `flotilla serve` processes: an instance that ends in error, a wait that runs out, an action whose target
/// already holds.
@Suite("CLI outcomes against flotilla serve", .serialized)
struct CLIOutcomeProcessTests {
    /// Runs `body` with a `flotilla serve` process on `dataDir`, stopped (awaited) when the body ends, also when it
    /// throws; its log printed when the test fails.
    static func withHost<T>(
        dataDir: String, extra: [String] = [], backends: String = "sim", environment: [String: String] = [:],
        _ body: (ServeProcess) async throws -> T
    ) async throws -> T {
        try await FixtureStack.with { stack in
            try await body(try await stack.serve(dataDir: dataDir, extra: extra, backends: backends, environment: environment))
        }
    }

    static func decode<T: Decodable>(_ type: T.Type, _ text: String) throws -> T {
        try WireJSON.decoder().decode(T.self, from: Data(text.utf8))
    }

    @Test(
        "a create and a start that end in error exit 1 with the state and the reason (kvm, a kernel that does not exist)",
        .enabled(if: KVMTestSupport.enabled, KVMTestSupport.skipReason))
    func failuresExitOne() async throws {
        try KVMTestSupport.requireQEMU()
        let dir = KVMTestSupport.temporaryDirectory("cliout")
        defer {
            KVMTestSupport.killQEMUs(under: dir)
            try? FileManager.default.removeItem(atPath: dir)
        }
        try await Self.withHost(dataDir: dir, extra: ["--kvm-accel", "tcg"], backends: "sim,kvm") { host in
            let created = try await host.cli([
                "instance", "create", "broken", "--backend", "kvm", "--image", "/nonexistent/kernel", "--memory", "128MiB",
            ])
            #expect(created.status == 1, "\(created.out)\(created.err)")
            #expect(created.err.contains("instance broken ("), "\(created.err)")
            #expect(created.err.contains("create ended in state error: "), "\(created.err)")
            #expect(created.err.contains("/nonexistent/kernel"), "the reason: \(created.err)")
            #expect(created.out.isEmpty, "\(created.out)")
            let got = try Self.decode(Compute.Instance.self, try await host.cli(["instance", "get", "broken", "--output", "json"]).out)
            #expect(got.state == "error")

            // Start from error is accepted, and fails the same way.
            let started = try await host.cli(["instance", "start", "broken"])
            #expect(started.status == 1, "\(started.out)\(started.err)")
            #expect(started.err.contains("start ended in state error: "), "\(started.err)")
            #expect(started.err.contains("/nonexistent/kernel"), "the reason: \(started.err)")
            // With --output json the instance is still printed for scripts, and the status is still 1.
            let json = try await host.cli(["instance", "start", "broken", "--output", "json"])
            #expect(json.status == 1, "\(json.err)")
            let answered = try Self.decode(Compute.Instance.self, json.out)
            #expect(answered.state == "error")
            #expect(answered.stateDescription?.contains("/nonexistent/kernel") == true)

            // Surface C: a VM whose image's kernel does not exist.
            let imported = try await host.cli(["image", "import", "no-kernel", "--name", "no kernel", "--kernel", "/nonexistent/kernel"])
            #expect(imported.status == 0, "\(imported.err)")
            let vm = try await host.cli(["vm", "create", "broken-vm", "--flavor", "m1.tiny", "--image", "no-kernel", "--backend", "kvm"])
            #expect(vm.status == 1, "\(vm.out)\(vm.err)")
            #expect(vm.err.contains("VM broken-vm ("), "\(vm.err)")
            #expect(vm.err.contains("create ended in state ERROR: "), "\(vm.err)")
            #expect(vm.err.contains("/nonexistent/kernel"), "the reason: \(vm.err)")
        }
    }

    @Test("a create with the docker daemon down exits 1 and names the backend")
    func dockerDaemonDown() async throws {
        try await withTemporaryDirectory { dir in
            try await Self.withHost(
                dataDir: dir, backends: "sim,docker", environment: ["FLOTILLA_DOCKER_SOCKET": dir + "/no-docker.sock"]
            ) { host in
                let created = try await host.cli([
                    "instance", "create", "boxed", "--backend", "docker", "--image", "busybox", "--timeout", "20",
                ])
                // The server refuses the create (503 BACKEND_UNAVAILABLE: no host offers a working docker backend)
                // or, when a host still seemed to, the instance ends in error with the backend's reason. Either
                // way: status 1, and the message says which backend failed.
                #expect(created.status == 1, "\(created.out)\(created.err)")
                #expect(created.err.contains("docker backend"), "the reason: \(created.err)")
            }
        }
    }

    @Test("a wait that runs out exits 1 with the state, the target and the timeout; a long enough one succeeds")
    func timeouts() async throws {
        // Every simulated backend call takes 2 s, so nothing finishes within --timeout 1.
        try await withTemporaryDirectory { dir in
            try await Self.withHost(dataDir: dir, extra: ["--sim-latency-ms", "2000"]) { host in
                let created = try await host.cli(["instance", "create", "slow", "--backend", "sim", "--image", "busybox", "--timeout", "1"])
                #expect(created.status == 1, "\(created.out)\(created.err)")
                // Placed or not yet, it is short of running.
                #expect(
                    created.err.contains("create did not reach running within 1s; it is starting")
                        || created.err.contains("create did not reach running within 1s; it is created"), "\(created.err)")
                #expect(created.err.contains("follow it with `flotilla instance get slow`"), "\(created.err)")
                try await Self.waitFor("running", instance: "slow", on: host)

                let stopped = try await host.cli(["instance", "stop", "slow", "--timeout", "1"])
                #expect(stopped.status == 1, "\(stopped.out)\(stopped.err)")
                #expect(stopped.err.contains("stop did not reach stopped within 1s; it is stopping"), "\(stopped.err)")
                try await Self.waitFor("stopped", instance: "slow", on: host)

                // 2 s of work within 30 s: the wait is passed on and the outcome is a success.
                let started = try await host.cli(["instance", "start", "slow", "--timeout", "30"])
                #expect(started.status == 0, "\(started.out)\(started.err)")
                #expect(started.out.hasSuffix("): running\n"), "\(started.out)")

                let vm = try await host.cli([
                    "vm", "create", "slow-vm", "--flavor", "m1.tiny", "--image", "debian-12", "--backend", "sim", "--timeout", "1",
                ])
                #expect(vm.status == 1, "\(vm.out)\(vm.err)")
                #expect(vm.err.contains("create did not reach ACTIVE within 1s; it is BUILDING"), "\(vm.err)")
                try await Self.waitFor("running", instance: "slow-vm", on: host)
                // A stopping VM is SHUTOFF already in surface C's words: the answer's in_progress tells.
                let vmStop = try await host.cli(["vm", "stop", "slow-vm", "--timeout", "1"])
                #expect(vmStop.status == 1, "\(vmStop.out)\(vmStop.err)")
                #expect(vmStop.err.contains("stop did not finish within 1s; it is SHUTOFF, still under way"), "\(vmStop.err)")

                // --no-wait is not a failure.
                try await Self.waitFor("running", instance: "slow", on: host)
                let noWait = try await host.cli(["instance", "stop", "slow", "--no-wait"])
                #expect(noWait.status == 0, "\(noWait.err)")
                #expect(noWait.out.hasSuffix("): stop accepted, now stopping\n"), "\(noWait.out)")
            }
        }
    }

    @Test("an action whose target already holds exits 0 and says so; other refusals stay errors; bad values are usage errors")
    func alreadyThere() async throws {
        try await withTemporaryDirectory { dir in
            try await Self.withHost(dataDir: dir) { host in
                let created = try await host.cli([
                    "instance", "create", "web", "--backend", "sim", "--image", "busybox", "--memory", "64MiB",
                ])
                #expect(created.status == 0, "\(created.err)")

                let steps: [(arguments: [String], status: Int32, out: String)] = [
                    (["start", "web"], 0, "instance web is already running\n"),
                    (["unpause", "web"], 0, "instance web is already running\n"),
                    (["pause", "web"], 0, "): paused\n"),
                    (["pause", "web"], 0, "instance web is already paused\n"),
                    (["stop", "web"], 0, "): stopped\n"),
                    (["stop", "web"], 0, "instance web is already stopped\n"),
                ]
                for step in steps {
                    let r = try await host.cli(["instance"] + step.arguments)
                    #expect(r.status == step.status, "\(step.arguments): \(r.err)")
                    #expect(r.out.hasSuffix(step.out), "\(step.arguments): \(r.out)")
                }
                // For scripts: the instance as JSON on standard output.
                let json = try await host.cli(["instance", "stop", "web", "--output", "json"])
                #expect(json.status == 0, "\(json.err)")
                #expect(try Self.decode(Compute.Instance.self, json.out).state == "stopped")
                #expect(json.err.contains("instance web is already stopped"), "\(json.err)")

                // A refusal for any other reason is an error.
                let restart = try await host.cli(["instance", "restart", "web"])
                #expect(restart.status == 1, "\(restart.out)")
                #expect(restart.err.contains("INVALID_STATE"), "\(restart.err)")
                #expect(restart.err.contains("currentState: stopped"), "\(restart.err)")
                let pause = try await host.cli(["instance", "pause", "web"])
                #expect(pause.status == 1, "\(pause.out)")

                for bad in [
                    ["instance", "start", "web", "--timeout", "0"], ["instance", "start", "web", "--timeout", "3601"],
                    ["instance", "start", "web", "--timeout", "soon"], ["instance", "start", "web", "--timeout", "5", "--no-wait"],
                    ["instance", "create", "x", "--backend", "sim", "--image", "busybox", "--timeout", "0"],
                    ["instance", "stop", "web", "--grace", "4000"], ["vm", "stop", "web", "--timeout", "0"],
                ] {
                    let r = try await host.cli(bad)
                    #expect(r.status == 2, "\(bad): \(r.out)\(r.err)")
                    #expect(r.err.contains("--timeout") || r.err.contains("--grace"), "\(bad): \(r.err)")
                }
                let untouched = try Self.decode(
                    Compute.Instance.self, try await host.cli(["instance", "get", "web", "--output", "json"]).out)
                #expect(untouched.state == "stopped")
            }
        }
    }

    @Test("a drain with --migrate that leaves instances behind exits 1 and lists them")
    func drainLeavesInstances() async throws {
        try await withTemporaryDirectory { dir in
            try await Self.withHost(dataDir: dir) { host in
                let created = try await host.cli([
                    "instance", "create", "stays", "--backend", "sim", "--image", "busybox", "--memory", "64MiB", "--output", "json",
                ])
                #expect(created.status == 0, "\(created.err)")
                let id = try Self.decode(Compute.Instance.self, created.out).id
                // One host: there is nowhere to move the instance to.
                let drained = try await host.cli(["worker", "drain", "proc-host", "--migrate", "--deadline", "5"])
                #expect(drained.status == 1, "\(drained.out)\(drained.err)")
                #expect(drained.out.contains("proc-host: draining."), "\(drained.out)")
                #expect(drained.err.contains("could not be moved off proc-host and remain there: \(id)"), "\(drained.err)")
            }
        }
    }

    /// Polls until the instance named `name` is in `state` (surface A's words), for up to 60 s: a generous bound
    /// for 3 s of simulated work on a slow machine.
    static func waitFor(_ state: String, instance name: String, on host: ServeProcess) async throws {
        try await eventually("\(name) is \(state)", timeout: .seconds(60), every: .milliseconds(200)) {
            let got = try await host.cli(["instance", "get", name, "--output", "json"])
            return (try? Self.decode(Compute.Instance.self, got.out))?.state == state
        }
    }
}
