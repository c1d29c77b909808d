import FlotillaCluster
import FlotillaCore
import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// The ``ReachabilityProbe`` of a host: a TCP connect to the host and port of an `http://` address, with a
/// deadline (a non-blocking socket and `poll`, on a Dispatch thread). Connection refused is ``ProbeOutcome/refused``;
/// no answer within the deadline, or any other failure, is ``ProbeOutcome/silent``.
public struct TCPProbe: ReachabilityProbe {
    public init() {}

    public func probe(_ address: String, timeout: Duration) async -> ProbeOutcome {
        guard let url = URL(string: address), let host = url.host else { return .silent }
        let port = url.port ?? (url.scheme == "https" ? 443 : 80)
        guard port > 0 else { return .silent }
        // The connect blocks (in poll, up to `timeout` for a silent host): on a Dispatch thread, never on one of
        // Swift concurrency's few cooperative threads.
        return await withCheckedContinuation { continuation in
            DispatchQueue.global().async { continuation.resume(returning: Self.connect(host: host, port: port, timeout: timeout)) }
        }
    }

    private static func connect(host: String, port: Int, timeout: Duration) -> ProbeOutcome {
        var hints = addrinfo()
        hints.ai_family = AF_UNSPEC
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        var list: UnsafeMutablePointer<addrinfo>?
        guard getaddrinfo(host, String(port), &hints, &list) == 0, let info = list else { return .silent }
        defer { freeaddrinfo(list) }
        let fd = socket(info.pointee.ai_family, info.pointee.ai_socktype, info.pointee.ai_protocol)
        guard fd >= 0 else { return .silent }
        defer { close(fd) }
        _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK)
        if Glibc.connect(fd, info.pointee.ai_addr, info.pointee.ai_addrlen) == 0 { return .answered }
        if errno == ECONNREFUSED { return .refused }
        guard errno == EINPROGRESS else { return .silent }
        var poller = pollfd(fd: fd, events: Int16(POLLOUT), revents: 0)
        let milliseconds = Int32(timeout.components.seconds * 1000 + timeout.components.attoseconds / 1_000_000_000_000_000)
        guard poll(&poller, 1, milliseconds) == 1 else { return .silent }
        var failure: Int32 = 0
        var length = socklen_t(MemoryLayout<Int32>.size)
        guard getsockopt(fd, SOL_SOCKET, SO_ERROR, &failure, &length) == 0 else { return .silent }
        if failure == 0 { return .answered }
        return failure == ECONNREFUSED ? .refused : .silent
    }
}
