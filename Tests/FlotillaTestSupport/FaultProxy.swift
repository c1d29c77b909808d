import Foundation
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// A TCP proxy on loopback (or a given local IPv4 address) that a test controls: it forwards, cuts, black-holes,
/// delays or truncates the connections that go through it. One thread runs it (``FaultProxyLoop``); ``close()``
/// ends that thread and every socket, awaited.
public final class FaultProxy: Sendable {
    /// What the proxy does with its connections, from the moment it is set.
    public enum Mode: Sendable, Equatable, CustomStringConvertible {
        /// Forwards both ways.
        case pass
        /// Resets every open connection, and resets new ones as soon as they are accepted.
        case cut
        /// Keeps connections open and accepts new ones, but forwards nothing either way (the bytes wait in the
        /// kernel's buffers and flow again after the next `pass`, as after a healed partition).
        case blackhole
        /// Forwards each chunk this long after it arrived, order kept.
        case delay(Duration)
        /// Per connection: forwards this many bytes each way (counted from the connection's start), then closes it.
        case dropAfter(bytes: Int)

        public var description: String {
            switch self {
            case .pass: return "pass"
            case .cut: return "cut"
            case .blackhole: return "blackhole"
            case .delay(let d): return "delay(\(d))"
            case .dropAfter(let n): return "dropAfter(\(n))"
            }
        }
    }

    private let loop: FaultProxyLoop
    private let port: Int
    private let host: String

    private init(loop: FaultProxyLoop, host: String, port: Int) {
        self.loop = loop
        self.host = host
        self.port = port
    }

    /// Listens on `listenHost` (an IPv4 address; a free port) and forwards to `target` (`"a.b.c.d:port"`; nil: new
    /// connections are reset until ``retarget(to:)``).
    public static func start(to target: String? = nil, listenHost: String = "127.0.0.1") async throws -> FaultProxy {
        let address = try target.map(parse)
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw ProcessFailure("socket() failed: errno \(errno)") }
        var one: Int32 = 1
        _ = setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
        var local = try parse("\(listenHost):0")
        let bound = withUnsafePointer(to: &local) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard bound == 0, listen(fd, 128) == 0 else {
            let code = errno
            Glibc.close(fd)
            throw ProcessFailure("cannot listen on \(listenHost): errno \(code)")
        }
        _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK)
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &local) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        let loop: FaultProxyLoop
        do { loop = try FaultProxyLoop(listenFD: fd, target: address) } catch {
            Glibc.close(fd)
            throw error
        }
        let thread = Thread { loop.run() }
        thread.name = "fault-proxy"
        thread.start()
        return FaultProxy(loop: loop, host: listenHost, port: Int(UInt16(bigEndian: local.sin_port)))
    }

    /// Where clients connect: `"host:port"`.
    public var address: String { "\(host):\(port)" }

    /// Sends new connections to `target` (`"a.b.c.d:port"`), e.g. a restarted host's new port. Open ones stay.
    public func retarget(to target: String) {
        guard let address = try? Self.parse(target) else { return }
        loop.shared.withLock { $0.target = address }
        loop.wake()
    }

    /// Switches the mode; takes effect at once (a `cut` resets every open connection).
    public func set(_ mode: Mode) {
        loop.shared.withLock { $0.mode = mode }
        loop.wake()
    }

    public var mode: Mode { loop.shared.withLock { $0.mode } }

    /// Connections accepted since the start (also those reset at once while cut).
    public var connectionsAccepted: Int { loop.shared.withLock { $0.accepted } }

    /// Resets every connection, stops listening and ends the thread; returns when it has (at most ~5 s).
    public func close() async {
        loop.shared.withLock { $0.stopping = true }
        loop.wake()
        _ = try? await eventually("the proxy's thread ends", timeout: .seconds(5), every: .milliseconds(5)) {
            loop.shared.withLock { $0.finished }
        }
    }

    static func parse(_ text: String) throws -> sockaddr_in {
        guard let colon = text.lastIndex(of: ":"), let port = UInt16(text[text.index(after: colon)...]) else {
            throw ProcessFailure("not HOST:PORT: \(text)")
        }
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_port = in_port_t(port.bigEndian)
        guard inet_pton(AF_INET, String(text[..<colon]), &addr.sin_addr) == 1 else {
            throw ProcessFailure("not an IPv4 address: \(text)")
        }
        return addr
    }
}
