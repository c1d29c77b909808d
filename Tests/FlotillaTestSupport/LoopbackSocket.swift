import Foundation
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// A raw TCP connection to a loopback server from a chosen loopback source address (any of 127.0.0.0/8), for
/// tests that hold connections open, send part of a request and watch whether the server closes them.
/// Non-blocking underneath: every wait has a deadline.
public final class LoopbackSocket: Sendable {
    private let fd: Int32
    private let closed = Mutex(false)

    private init(fd: Int32) { self.fd = fd }

    deinit { close() }

    /// Connects to `127.0.0.1:port` from `source` (port chosen by the kernel); throws after `timeout`.
    public static func connect(port: Int, from source: String = "127.0.0.1", timeout: Duration = .seconds(5)) throws -> LoopbackSocket {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw ProcessFailure("socket() failed: errno \(errno)") }
        let sock = LoopbackSocket(fd: fd)
        _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK)
        var local = try address(source, port: 0)
        let bound = withUnsafePointer(to: &local) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard bound == 0 else { throw ProcessFailure("bind to \(source) failed: errno \(errno)") }
        var remote = try address("127.0.0.1", port: port)
        let started = withUnsafePointer(to: &remote) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        if started != 0 && errno != EINPROGRESS { throw ProcessFailure("connect from \(source) failed: errno \(errno)") }
        guard sock.wait(for: Int16(POLLOUT), timeout: timeout) else {
            throw ProcessFailure("connect from \(source) to port \(port) did not complete within \(timeout)")
        }
        var error: Int32 = 0
        var length = socklen_t(MemoryLayout<Int32>.size)
        _ = getsockopt(fd, SOL_SOCKET, SO_ERROR, &error, &length)
        guard error == 0 else { throw ProcessFailure("connect from \(source) to port \(port) failed: errno \(error)") }
        return sock
    }

    /// Sends all of `text`; throws if the server closed the connection or the bytes do not go out within `timeout`.
    public func send(_ text: String, timeout: Duration = .seconds(5)) throws {
        var bytes = Array(text.utf8)[...]
        while !bytes.isEmpty {
            let sent = bytes.withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            if sent > 0 {
                bytes = bytes.dropFirst(sent)
            } else if errno == EAGAIN || errno == EWOULDBLOCK {
                guard wait(for: Int16(POLLOUT), timeout: timeout) else { throw ProcessFailure("send blocked for \(timeout)") }
            } else {
                throw ProcessFailure("send failed: errno \(errno)")
            }
        }
    }

    /// Whether the server has closed this connection (end of file or reset), looked at without waiting. Bytes
    /// the server sent first are read and dropped.
    public var isClosedByPeer: Bool {
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let n = recv(fd, &buffer, buffer.count, Int32(MSG_DONTWAIT))
            if n > 0 { continue }
            if n == 0 { return true }
            return errno != EAGAIN && errno != EWOULDBLOCK
        }
    }

    /// Reads until the server closes the connection or `limit` bytes arrived; throws after `timeout`.
    public func readToEnd(limit: Int = 1 << 20, timeout: Duration = .seconds(10)) throws -> String {
        var received: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        let deadline = ContinuousClock.now + timeout
        while received.count < limit {
            let left = deadline - ContinuousClock.now
            guard left > .zero, wait(for: Int16(POLLIN), timeout: left) else {
                throw ProcessFailure("no end of response within \(timeout)")
            }
            let n = recv(fd, &buffer, buffer.count, Int32(MSG_DONTWAIT))
            if n > 0 {
                received += buffer[..<n]
            } else if n == 0 || (errno != EAGAIN && errno != EWOULDBLOCK) {
                break
            }
        }
        return String(decoding: received, as: UTF8.self)
    }

    /// Closes the connection (once).
    public func close() {
        let first = closed.withLock { wasClosed in
            defer { wasClosed = true }
            return !wasClosed
        }
        if first { _ = Glibc.close(fd) }
    }

    /// `GET path` with `Connection: close` from `source`; the status code of the answer, nil without one.
    public static func status(of path: String, port: Int, from source: String = "127.0.0.1", timeout: Duration = .seconds(5)) throws -> Int?
    {
        let sock = try connect(port: port, from: source, timeout: timeout)
        defer { sock.close() }
        try sock.send("GET \(path) HTTP/1.1\r\nHost: flotilla\r\nConnection: close\r\n\r\n", timeout: timeout)
        let answer = try sock.readToEnd(limit: 64 << 10, timeout: timeout)
        let parts = answer.prefix(while: { $0 != "\r" }).split(separator: " ")
        guard parts.count >= 2, parts[0].hasPrefix("HTTP/1.") else { return nil }
        return Int(parts[1])
    }

    private func wait(for events: Int16, timeout: Duration) -> Bool {
        var entry = pollfd(fd: fd, events: events, revents: 0)
        let ms = Int32(clamping: timeout.components.seconds * 1000 + timeout.components.attoseconds / 1_000_000_000_000_000)
        return poll(&entry, 1, max(ms, 0)) > 0
    }

    private static func address(_ host: String, port: Int) throws -> sockaddr_in {
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_port = in_port_t(UInt16(port).bigEndian)
        guard inet_pton(AF_INET, host, &addr.sin_addr) == 1 else { throw ProcessFailure("not an IPv4 address: \(host)") }
        return addr
    }
}
