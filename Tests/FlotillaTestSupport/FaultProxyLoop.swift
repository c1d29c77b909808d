import Foundation
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// The one thread of a ``FaultProxy``: a `poll(2)` loop over the listening socket, a wake-up pipe and every
/// proxied connection (non-blocking sockets). The mode and target live in ``shared``; the sockets and queues
/// belong to the loop thread alone.
// @unchecked Sendable: `connections` is touched only by the loop thread (inside `run()`); everything the
// other threads read or write is in the `Mutex` `shared`, and the descriptors are immutable `let`s.
final class FaultProxyLoop: @unchecked Sendable {
    struct Shared {
        var mode: FaultProxy.Mode = .pass
        var target: sockaddr_in?
        var accepted = 0
        var stopping = false
        var finished = false
    }

    /// One way of a proxied connection: bytes read from `from`, queued until due, written to `to`.
    struct Direction {
        var from: Int32
        var to: Int32
        var queue: [(due: ContinuousClock.Instant, bytes: [UInt8])] = []
        var queued = 0
        var forwarded = 0
        var endOfInput = false
        var shutDown = false
    }

    final class Connection {
        let client: Int32
        let upstream: Int32
        var connected = false
        var ways: [Direction]
        var closed = false
        init(client: Int32, upstream: Int32) {
            self.client = client
            self.upstream = upstream
            ways = [Direction(from: client, to: upstream), Direction(from: upstream, to: client)]
        }
    }

    let shared: Mutex<Shared>
    let listenFD: Int32
    let wakeRead: Int32
    let wakeWrite: Int32
    private var connections: [Connection] = []
    /// Bytes read ahead of the writer per direction, at most (the rest waits in the kernel's buffers).
    private let maxQueued = 1 << 20

    init(listenFD: Int32, target: sockaddr_in?) throws {
        var fds: [Int32] = [0, 0]
        guard pipe(&fds) == 0 else { throw ProcessFailure("pipe() failed: errno \(errno)") }
        for fd in fds { _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK) }
        wakeRead = fds[0]
        wakeWrite = fds[1]
        self.listenFD = listenFD
        shared = Mutex(Shared(target: target))
    }

    /// Makes the loop look at ``shared`` again now.
    func wake() {
        var byte: UInt8 = 1
        _ = write(wakeWrite, &byte, 1)
    }

    func run() {
        while true {
            let (mode, stopping) = shared.withLock { ($0.mode, $0.stopping) }
            if stopping { break }
            if mode == .cut { for c in connections { close(c, reset: true) } }
            connections.removeAll { $0.closed }
            var fds = [pollfd(fd: listenFD, events: Int16(POLLIN), revents: 0), pollfd(fd: wakeRead, events: Int16(POLLIN), revents: 0)]
            var index: [(Connection, Int, Bool)] = []  // connection, direction (or -1: connecting), reading side
            let now = ContinuousClock.now
            var timeout = Duration.seconds(1)
            for c in connections {
                if !c.connected {
                    fds.append(pollfd(fd: c.upstream, events: Int16(POLLOUT), revents: 0))
                    index.append((c, -1, false))
                    continue
                }
                guard mode != .blackhole else { continue }
                for (i, way) in c.ways.enumerated() {
                    if !way.endOfInput && way.queued < maxQueued {
                        fds.append(pollfd(fd: way.from, events: Int16(POLLIN), revents: 0))
                        index.append((c, i, true))
                    }
                    if let head = way.queue.first {
                        if head.due <= now {
                            fds.append(pollfd(fd: way.to, events: Int16(POLLOUT), revents: 0))
                            index.append((c, i, false))
                        } else {
                            timeout = min(timeout, head.due - now)
                        }
                    }
                }
            }
            let ms = Int32(timeout.components.seconds * 1000 + timeout.components.attoseconds / 1_000_000_000_000_000) + 1
            let ready = poll(&fds, nfds_t(fds.count), ms)
            guard ready >= 0 else { continue }
            if fds[1].revents != 0 { drainWake() }
            // The mode changed while the loop waited (a `set` woke it): what poll found is handled in a new turn,
            // under the new mode; else bytes sent right after `set(.dropAfter)` went through as in `pass`.
            if shared.withLock({ $0.mode }) != mode { continue }
            if fds[0].revents & Int16(POLLIN) != 0 { acceptAll() }
            for (k, entry) in index.enumerated() where !entry.0.closed {
                let revents = fds[k + 2].revents
                let (c, way, reading) = entry
                if way < 0 {
                    if revents != 0 { finishConnect(c) }
                } else if reading {
                    if revents != 0 { read(c, way, mode: mode) }
                } else {
                    // Due chunks are written below, whatever poll said.
                }
            }
            for c in connections where c.connected && !c.closed && mode != .blackhole {
                for way in c.ways.indices { flush(c, way, mode: mode) }
            }
        }
        for c in connections { close(c, reset: true) }
        connections.removeAll()
        Glibc.close(listenFD)
        shared.withLock { $0.finished = true }
    }

    /// The wake-up pipe goes last, with the loop: ``wake()`` may still be called after ``run()`` ended.
    deinit {
        Glibc.close(wakeRead)
        Glibc.close(wakeWrite)
    }

    private func drainWake() {
        var buffer = [UInt8](repeating: 0, count: 64)
        while Glibc.read(wakeRead, &buffer, buffer.count) > 0 {}
    }

    /// Accepts every waiting connection, under the mode of this moment (not the one the loop began its turn
    /// with: a connection made right after `set(.pass)` must not be reset by a `cut` the loop saw before).
    private func acceptAll() {
        while true {
            let fd = accept(listenFD, nil, nil)
            guard fd >= 0 else { return }
            _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK)
            let (target, mode) = shared.withLock { shared -> (sockaddr_in?, FaultProxy.Mode) in
                shared.accepted += 1
                return (shared.target, shared.mode)
            }
            guard mode != .cut, var target else {
                Self.reset(fd)
                continue
            }
            let upstream = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
            guard upstream >= 0 else {
                Self.reset(fd)
                continue
            }
            _ = fcntl(upstream, F_SETFL, fcntl(upstream, F_GETFL) | O_NONBLOCK)
            let started = withUnsafePointer(to: &target) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(upstream, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
            }
            if started != 0 && errno != EINPROGRESS {
                Self.reset(fd)
                Glibc.close(upstream)
                continue
            }
            let c = Connection(client: fd, upstream: upstream)
            c.connected = started == 0
            connections.append(c)
        }
    }

    private func finishConnect(_ c: Connection) {
        var error: Int32 = 0
        var length = socklen_t(MemoryLayout<Int32>.size)
        _ = getsockopt(c.upstream, SOL_SOCKET, SO_ERROR, &error, &length)
        if error == 0 { c.connected = true } else { close(c, reset: true) }
    }

    private func read(_ c: Connection, _ i: Int, mode: FaultProxy.Mode) {
        var buffer = [UInt8](repeating: 0, count: 64 << 10)
        let n = recv(c.ways[i].from, &buffer, buffer.count, Int32(MSG_DONTWAIT))
        if n > 0 {
            var due = ContinuousClock.now
            if case .delay(let d) = mode { due = due + d }
            // Order is kept: a chunk is never due before the one ahead of it.
            if let last = c.ways[i].queue.last?.due, last > due { due = last }
            c.ways[i].queue.append((due, Array(buffer[..<n])))
            c.ways[i].queued += n
        } else if n == 0 {
            c.ways[i].endOfInput = true
        } else if errno != EAGAIN && errno != EWOULDBLOCK {
            close(c, reset: true)
        }
    }

    private func flush(_ c: Connection, _ i: Int, mode: FaultProxy.Mode) {
        let now = ContinuousClock.now
        while !c.closed, let head = c.ways[i].queue.first, head.due <= now {
            var bytes = head.bytes
            var limitReached = false
            if case .dropAfter(let limit) = mode {
                let left = max(limit - c.ways[i].forwarded, 0)
                if bytes.count >= left {
                    bytes = Array(bytes.prefix(left))
                    limitReached = true
                }
            }
            var sent = 0
            if !bytes.isEmpty {
                sent = bytes.withUnsafeBytes { Glibc.send(c.ways[i].to, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
                if sent < 0 {
                    if errno == EAGAIN || errno == EWOULDBLOCK { return }
                    close(c, reset: true)
                    return
                }
            }
            c.ways[i].forwarded += sent
            c.ways[i].queued -= sent
            if sent == head.bytes.count {
                c.ways[i].queue.removeFirst()
            } else {
                c.ways[i].queue[0].bytes.removeFirst(sent)
            }
            if limitReached && sent == bytes.count {
                close(c, reset: false)
                return
            }
            if sent < bytes.count { return }
        }
        if c.closed { return }
        if case .dropAfter(let limit) = mode, c.ways[i].forwarded >= limit {
            close(c, reset: false)
            return
        }
        if c.ways[i].endOfInput && c.ways[i].queue.isEmpty && !c.ways[i].shutDown {
            c.ways[i].shutDown = true
            shutdown(c.ways[i].to, Int32(SHUT_WR))
        }
        if c.ways.allSatisfy({ $0.shutDown }) { close(c, reset: false) }
    }

    private func close(_ c: Connection, reset: Bool) {
        guard !c.closed else { return }
        c.closed = true
        if reset {
            Self.reset(c.client)
            Self.reset(c.upstream)
        } else {
            Glibc.close(c.client)
            Glibc.close(c.upstream)
        }
    }

    /// Closes with a reset (SO_LINGER 0): the peer sees ECONNRESET at once, as after a broken link.
    private static func reset(_ fd: Int32) {
        var linger = Glibc.linger(l_onoff: 1, l_linger: 0)
        _ = setsockopt(fd, SOL_SOCKET, SO_LINGER, &linger, socklen_t(MemoryLayout<Glibc.linger>.size))
        Glibc.close(fd)
    }
}
