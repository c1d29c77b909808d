import Foundation
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// A program the `kvm` backend runs (QEMU, and the short helpers `qemu-img`, `genisoimage`), started with
/// `posix_spawn` and reaped here.
///
/// Foundation's `Process` starts a child with the signal mask of the calling thread, and the threads of a
/// Swift server block nearly every signal: such a QEMU ignored `kill`, Ctrl-C and a systemd stop. A child
/// started here has an empty signal mask and the default disposition of every signal, stdin from
/// `/dev/null`, stdout and stderr appended to one file, no other inherited descriptor than those it is
/// handed (``spawn(executable:arguments:outputPath:newSession:inheritedDescriptors:onExit:)``: a macvtap's
/// `/dev/tapN` for QEMU), and optionally its own session (so a Ctrl-C or a SIGKILL of `flotilla serve` does
/// not reach it).
///
/// One thread per child blocks in `waitid` until the child ends, records its status, reaps it, then calls
/// `onExit` once. Reaping under the same lock that guards ``kill(_:)`` means a signal is never sent to a
/// pid that has been reused.
final class ChildProcess: Sendable {
    /// How a child ended.
    enum Status: Sendable, Equatable {
        case exited(Int32)
        case signaled(Int32)
        /// The child was reaped by someone else (SIGCHLD ignored in this process).
        case unknown
    }

    struct SpawnError: Error, CustomStringConvertible {
        var description: String
    }

    let pid: Int32
    private let state = Mutex<State>(State())
    private struct State {
        var status: Status?
        var reaped = false
    }

    private init(pid: Int32) { self.pid = pid }

    /// Starts `executable` (an absolute path) with `arguments`; its output goes to `outputPath` (created if
    /// missing, appended to). The descriptors `inheritedDescriptors` of this process are the child's 3, 4, ...
    /// in that order (the caller keeps and closes its own). `onExit` runs once, on the reaper thread, after
    /// ``status`` is set.
    static func spawn(
        executable: String, arguments: [String], outputPath: String, newSession: Bool,
        inheritedDescriptors: [Int32] = [], onExit: (@Sendable (Status) -> Void)? = nil
    ) throws(SpawnError) -> ChildProcess {
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var empty = sigset_t()
        sigemptyset(&empty)
        var all = sigset_t()
        sigfillset(&all)
        // glibc's sigfillset leaves out its two internal signals (32 and 33), and its posix_spawn then sets them
        // to SIG_IGN in the child, which keeps that across exec: name them in the set directly.
        withUnsafeMutableBytes(of: &all) { raw in
            raw.storeBytes(of: raw.load(as: UInt64.self) | (1 << 31) | (1 << 32), as: UInt64.self)
        }
        posix_spawnattr_setsigmask(&attributes, &empty)
        posix_spawnattr_setsigdefault(&attributes, &all)
        var flags = Int32(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF)
        if newSession { flags |= posixSpawnSetSID }
        posix_spawnattr_setflags(&attributes, Int16(flags))

        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, outputPath, O_WRONLY | O_CREAT | O_APPEND, 0o644)
        posix_spawn_file_actions_adddup2(&actions, 1, 2)
        let (firstFree, copies) = handDown(inheritedDescriptors, &actions)
        closeInheritedDescriptors(&actions, from: firstFree, copies: copies)

        let argv: [UnsafeMutablePointer<CChar>?] = ([executable] + arguments).map { strdup($0) } + [nil]
        defer { for pointer in argv { free(pointer) } }
        var pid: pid_t = 0
        let result = posix_spawn(&pid, executable, &actions, &attributes, argv, environ)
        guard result == 0 else {
            throw SpawnError(description: "cannot run \(executable): \(String(cString: strerror(result)))")
        }
        let child = ChildProcess(pid: pid)
        let thread = Thread {
            let status = child.reap()
            onExit?(status)
        }
        thread.name = "flotilla-reap-\(pid)"
        thread.stackSize = 256 << 10
        thread.start()
        return child
    }

    /// How the child ended, or nil while it runs.
    var status: Status? { state.withLock { $0.status } }

    /// Sends `signal`, unless the child has already been reaped.
    func kill(_ signal: Int32) {
        state.withLock { s in
            if !s.reaped { _ = Glibc.kill(pid, signal) }
        }
    }

    /// Waits until the child has ended, at most `timeout` (and not past the task's cancellation); its status,
    /// or nil when it still runs.
    func waitForExit(timeout: Duration) async -> Status? {
        let deadline = ContinuousClock.now + timeout
        while true {
            if let status { return status }
            if ContinuousClock.now >= deadline || Task.isCancelled { return nil }
            try? await Task.sleep(for: .milliseconds(10))
        }
    }

    /// Blocks until the child ends, then reaps it and records how it ended.
    private func reap() -> Status {
        var info = siginfo_t()
        // Wait without reaping: the pid stays ours (a zombie) until `waitpid` below, under the lock.
        while waitid(P_PID, id_t(pid), &info, WEXITED | WNOWAIT) != 0 && errno == EINTR {}
        return state.withLock { s in
            var raw: Int32 = 0
            var result: pid_t
            repeat { result = waitpid(pid, &raw, 0) } while result < 0 && errno == EINTR
            let status = result == pid ? Self.decode(raw) : .unknown
            s.status = status
            s.reaped = true
            return status
        }
    }

    /// A `waitpid` status word (the `WIFEXITED`/`WIFSIGNALED` macros, which Swift does not import).
    static func decode(_ raw: Int32) -> Status {
        let low = raw & 0x7f
        if low == 0 { return .exited((raw >> 8) & 0xff) }
        return .signaled(low)
    }

    /// `POSIX_SPAWN_SETSID` (glibc 2.26+): only declared for `_GNU_SOURCE`, which Swift's Glibc module does not set.
    private static let posixSpawnSetSID: Int32 = 0x80

    private typealias AddCloseFrom = @convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, Int32) -> Int32

    /// Makes `descriptors` the child's 3, 4, ...: each is first copied above every one of them (so that placing
    /// one never overwrites another still to be placed), then to its place; the copies are closed with the
    /// rest. `dup2` clears close-on-exec on the copy. Returns the first descriptor the child need not keep, and
    /// the copies.
    private static func handDown(
        _ descriptors: [Int32], _ actions: inout posix_spawn_file_actions_t
    ) -> (firstFree: Int32, copies: [Int32]) {
        let firstFree = 3 + Int32(descriptors.count)
        guard !descriptors.isEmpty else { return (firstFree, []) }
        let high = max(descriptors.max() ?? 0, firstFree) + 1
        let copies = descriptors.indices.map { high + Int32($0) }
        for (fd, copy) in zip(descriptors, copies) { posix_spawn_file_actions_adddup2(&actions, fd, copy) }
        for (i, copy) in copies.enumerated() { posix_spawn_file_actions_adddup2(&actions, copy, 3 + Int32(i)) }
        return (firstFree, copies)
    }

    /// Closes every descriptor from `first` on in the child: `posix_spawn_file_actions_addclosefrom_np` (glibc
    /// 2.34+, looked up at run time for the same reason as above), else each descriptor open now (and the
    /// copies ``handDown(_:_:)`` made).
    private static func closeInheritedDescriptors(
        _ actions: inout posix_spawn_file_actions_t, from first: Int32, copies: [Int32]
    ) {
        if let symbol = dlsym(nil, "posix_spawn_file_actions_addclosefrom_np") {
            if unsafeBitCast(symbol, to: AddCloseFrom.self)(&actions, first) == 0 { return }
        }
        let open = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd")) ?? []
        let descriptors = open.compactMap { Int32($0) }.filter { $0 >= first }
        for fd in Set(descriptors + copies).sorted() {
            posix_spawn_file_actions_addclose(&actions, fd)
        }
    }
}
