import FlotillaTestSupport
import Foundation
import Testing

/// Issue 13, deliver 4: a test that fails midway leaves no host, etcd or folder behind, and its fixtures are
/// cleaned up last in first out (docs/reliability.md).
@Suite("Fixture hygiene", .serialized, .enabled(if: EtcdCluster.testsEnabled, "etcd is not installed"))
struct FixtureHygieneTests {
    struct Boom: Error {}

    /// What a body saw before it threw: the pids and folders it started.
    struct Started: Sendable {
        var pids: [Int32] = []
        var folders: [String] = []
        var stack: FixtureStack?
    }

    @Test("a body that throws after starting etcd and two hosts leaves none of their processes or folders, cleaned in reverse order")
    func throwingBodyLeavesNothing() async throws {
        let started = LockedBox(Started())
        let order = LockedBox<[String]>([])
        await #expect(throws: Boom.self) {
            try await FixtureStack.with { stack in
                started.withLock { $0.stack = stack }
                await stack.push("first pushed") { order.withLock { $0.append("first pushed") } }
                let etcd = try await stack.etcd(size: 1)
                let dir = try await stack.temporaryDirectory("hygiene")
                let store = "etcd://" + etcd.endpoints.map { $0.replacingOccurrences(of: "http://", with: "") }.joined(separator: ",")
                var hosts: [ServeProcess] = []
                for id in ["a", "b"] {
                    hosts.append(
                        try await stack.serve(
                            dataDir: "\(dir)/\(id)", extra: ["--store", store, "--cluster-secret", "hygiene", "--host-id", id]))
                }
                await stack.push("last pushed") { order.withLock { $0.append("last pushed") } }
                started.withLock {
                    $0.pids = hosts.map(\.pid)
                    $0.folders = [dir, etcd.directory]
                }
                #expect(hosts.allSatisfy { $0.isRunning })
                throw Boom()
            }
        }
        let seen = started.value
        #expect(seen.pids.count == 2)
        for pid in seen.pids { #expect(!Self.isAlive(pid), "serve pid \(pid) still alive") }
        for folder in seen.folders {
            #expect(!FileManager.default.fileExists(atPath: folder), "\(folder) left behind")
            #expect(Self.processes(naming: folder).isEmpty, "a process still runs on \(folder)")
        }
        #expect(order.value == ["last pushed", "first pushed"])
        let ran = try #require(await seen.stack?.ran)
        let kinds = ran.map { $0.split(separator: " ").first.map(String.init) ?? "" }
        #expect(kinds == ["last", "serve", "serve", "remove", "etcd", "first"], "\(ran)")
        // The second host started last, so it stopped first.
        #expect(ran[1].contains("pid \(seen.pids[1])") && ran[2].contains("pid \(seen.pids[0])"), "\(ran)")
    }

    @Test("a second host that fails to start does not leave the first one running")
    func failedSecondStartStopsTheFirst() async throws {
        let first = LockedBox<Int32?>(nil)
        await #expect(throws: ProcessFailure.self) {
            try await FixtureStack.with { stack in
                let dir = try await stack.temporaryDirectory("hygiene")
                let a = try await stack.serve(dataDir: "\(dir)/a")
                first.withLock { $0 = a.pid }
                // An option serve does not know: it exits at once, and start throws.
                _ = try await stack.serve(dataDir: "\(dir)/b", extra: ["--no-such-option"])
            }
        }
        let pid = try #require(first.value)
        #expect(!Self.isAlive(pid), "the first host (pid \(pid)) is still running")
    }

    @Test("a body that returns runs its cleanups too, after it returned its value")
    func returningBodyCleansUp() async throws {
        let folder = LockedBox("")
        let value = try await FixtureStack.with { stack in
            let dir = try await stack.temporaryDirectory("hygiene")
            folder.withLock { $0 = dir }
            #expect(FileManager.default.fileExists(atPath: dir))
            return 42
        }
        #expect(value == 42)
        #expect(!FileManager.default.fileExists(atPath: folder.value))
    }

    /// Alive and not a zombie (a reaped process no longer has a /proc entry).
    static func isAlive(_ pid: Int32) -> Bool {
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8), let close = stat.lastIndex(of: ")") else {
            return false
        }
        return stat[stat.index(after: close)...].trimmingCharacters(in: .whitespaces).first != "Z"
    }

    /// The pids of the live processes whose command line contains `text`.
    static func processes(naming text: String) -> [Int32] {
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
        return entries.compactMap(Int32.init).filter { pid in
            guard let data = FileManager.default.contents(atPath: "/proc/\(pid)/cmdline") else { return false }
            return String(decoding: data, as: UTF8.self).contains(text) && isAlive(pid)
        }
    }
}
