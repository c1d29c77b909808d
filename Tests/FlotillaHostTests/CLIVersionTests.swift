import FlotillaHost
import FlotillaTestSupport
import Foundation
import Testing

/// `flotilla --version` and the shell completion scripts, run as the real binary (no server needed).
@Suite("flotilla --version and completion")
struct CLIVersionTests {
    static func run(_ arguments: [String]) async throws -> ProcessRun {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: ServeProcess.binary)
        p.arguments = arguments
        return try await ProcessRun.capture(p, timeout: .seconds(60))
    }

    @Test("--version prints 'flotilla <version>' from FlotillaHost.version and exits 0")
    func version() async throws {
        let run = try await Self.run(["--version"])
        #expect(run.status == 0, "\(run.err)")
        #expect(run.out == "flotilla \(FlotillaHost.version)\n")
    }

    @Test("the generated bash completion script is valid bash and knows fleet and events; zsh and fish are generated")
    func completion() async throws {
        let bash = try await Self.run(["--generate-completion-script", "bash"])
        #expect(bash.status == 0, "\(bash.err)")
        #expect(bash.out.contains("fleet"))
        #expect(bash.out.contains("events"))
        try await withTemporaryDirectory { dir in
            let path = dir + "/flotilla.bash"
            try bash.out.write(toFile: path, atomically: true, encoding: .utf8)
            let check = Process()
            check.executableURL = URL(fileURLWithPath: "/bin/bash")
            check.arguments = ["-n", path]
            let checked = try await ProcessRun.capture(check, timeout: .seconds(30))
            #expect(checked.status == 0, "bash -n: \(checked.err)")
        }
        for shell in ["zsh", "fish"] {
            let script = try await Self.run(["--generate-completion-script", shell])
            #expect(script.status == 0, "\(shell): \(script.err)")
            #expect(script.out.contains("fleet"), "\(shell)")
        }
    }
}
