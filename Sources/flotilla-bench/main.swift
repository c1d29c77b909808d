import Foundation

// `flotilla-bench docker [--socket PATH] [--iterations N]`: the docker create+start benchmark.
let arguments = Array(CommandLine.arguments.dropFirst())
guard arguments.first == "docker" else {
    print("usage: flotilla-bench docker [--socket PATH] [--iterations N]")
    exit(arguments.isEmpty ? 0 : 64)
}
func option(_ name: String) -> String? {
    guard let i = arguments.firstIndex(of: name), i + 1 < arguments.count else { return nil }
    return arguments[i + 1]
}
let socket = option("--socket") ?? ProcessInfo.processInfo.environment["FLOTILLA_DOCKER_SOCKET"] ?? "/var/run/docker.sock"
let iterations = option("--iterations").flatMap(Int.init) ?? 20
do {
    print(try await runDockerBench(socket: socket, iterations: iterations))
} catch {
    FileHandle.standardError.write(Data("docker bench failed: \(error)\n".utf8))
    exit(1)
}
