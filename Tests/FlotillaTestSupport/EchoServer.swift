import Foundation
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// A TCP echo server on loopback for proxy tests: sends back every byte it receives, and counts them. One thread
/// polls every socket; ``close()`` ends it, awaited.
public final class EchoServer: Sendable {
    private struct State {
        var received: [UInt8] = []
        var open = 0
        var stopping = false
        var finished = false
    }

    public let port: Int
    private let state = Mutex(State())

    private init(port: Int) { self.port = port }

    /// `"127.0.0.1:PORT"`.
    public var address: String { "127.0.0.1:\(port)" }

    /// Bytes received so far, over every connection.
    public var bytesReceived: Int { state.withLock { $0.received.count } }

    /// Everything received so far, over every connection, as text. On a busy machine another process may
    /// connect to a port it once knew and that this server now holds: look for what the test sent.
    public var receivedText: String { state.withLock { String(decoding: $0.received, as: UTF8.self) } }

    /// Connections open now: counted when accepted (before any of their bytes is), uncounted when their peer closed.
    public var openConnections: Int { state.withLock { $0.open } }

    public static func start() throws -> EchoServer {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw ProcessFailure("socket() failed: errno \(errno)") }
        var address = try FaultProxy.parse("127.0.0.1:0")
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard bound == 0, listen(fd, 16) == 0 else {
            Glibc.close(fd)
            throw ProcessFailure("echo server cannot listen: errno \(errno)")
        }
        _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK)
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        let server = EchoServer(port: Int(UInt16(bigEndian: address.sin_port)))
        let thread = Thread { server.run(listenFD: fd) }
        thread.name = "echo-server"
        thread.start()
        return server
    }

    /// Stops the thread and closes every socket; returns when it has (at most ~5 s).
    public func close() async {
        state.withLock { $0.stopping = true }
        _ = try? await eventually("the echo server's thread ends", timeout: .seconds(5), every: .milliseconds(5)) {
            state.withLock { $0.finished }
        }
    }

    private func run(listenFD: Int32) {
        var clients: [Int32] = []
        var buffer = [UInt8](repeating: 0, count: 16 << 10)
        while !state.withLock({ $0.stopping }) {
            var fds =
                [pollfd(fd: listenFD, events: Int16(POLLIN), revents: 0)]
                + clients.map { pollfd(fd: $0, events: Int16(POLLIN), revents: 0) }
            guard poll(&fds, nfds_t(fds.count), 20) > 0 else { continue }
            if fds[0].revents != 0 {
                let client = accept(listenFD, nil, nil)
                if client >= 0 { clients.append(client) }
                state.withLock { $0.open = clients.count }
            }
            var gone: Set<Int32> = []
            for entry in fds.dropFirst() where entry.revents != 0 {
                let n = recv(entry.fd, &buffer, buffer.count, Int32(MSG_DONTWAIT))
                if n > 0 {
                    state.withLock { $0.received += buffer[..<n] }
                    _ = buffer.withUnsafeBytes { send(entry.fd, $0.baseAddress, n, Int32(MSG_NOSIGNAL)) }
                } else if n == 0 || (errno != EAGAIN && errno != EWOULDBLOCK) {
                    Glibc.close(entry.fd)
                    gone.insert(entry.fd)
                }
            }
            clients.removeAll { gone.contains($0) }
            state.withLock { $0.open = clients.count }
        }
        for client in clients { Glibc.close(client) }
        Glibc.close(listenFD)
        state.withLock { $0.finished = true }
    }
}
