import Foundation

/// Starts a dockerd for the tests (vfs storage, no iptables, no default bridge, everything under `dir`) behind a
/// small shell guard that stops it when the test process is gone, then runs `cleanup` (shell commands).
enum GuardedDockerd {
    /// The dockerd binary, where Debian's docker.io (or a manual install) put it.
    static var binary: String? {
        ["/usr/sbin/dockerd", "/usr/bin/dockerd", "/usr/local/bin/dockerd"].first {
            FileManager.default.isExecutableFile(atPath: $0)
        }
    }

    /// Returns the guard's process: it ends when dockerd does.
    @discardableResult
    static func launch(_ dockerd: String, dir: String, socket: String, cleanup: String) throws -> Process {
        let script = """
            \(dockerd) --storage-driver=vfs --iptables=false --bridge=none --data-root \(dir)/data \
              --exec-root \(dir)/exec --pidfile \(dir)/dockerd.pid -H unix://\(socket) >>\(dir)/dockerd.log 2>&1 &
            d=$!
            while kill -0 \(getpid()) 2>/dev/null && kill -0 $d 2>/dev/null; do sleep 1; done
            kill $d 2>/dev/null; wait $d
            \(cleanup)
            """
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/sh")
        process.arguments = ["-c", script]
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        return process
    }
}
