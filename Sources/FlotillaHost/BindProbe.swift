import Foundation

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Why an address cannot be bound, found by binding a socket to it once and closing it at once. Only words
/// the message of a listener that failed without saying why (grpc-swift reports "no listening address",
/// not the bind's errno); never decides anything.
enum BindProbe {
    /// The errno of binding `host:port` (a numeric IPv4 or IPv6 address, or `localhost`), or nil when it binds
    /// now or the host is a name.
    static func failure(host: String, port: Int) -> Int32? {
        let host = host == "localhost" ? "127.0.0.1" : host
        var v4 = sockaddr_in()
        var v6 = sockaddr_in6()
        if inet_pton(AF_INET, host, &v4.sin_addr) == 1 {
            v4.sin_family = sa_family_t(AF_INET)
            v4.sin_port = in_port_t(UInt16(truncatingIfNeeded: port)).bigEndian
            return withUnsafePointer(to: &v4) { bindError(AF_INET, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        if inet_pton(AF_INET6, host, &v6.sin6_addr) == 1 {
            v6.sin6_family = sa_family_t(AF_INET6)
            v6.sin6_port = in_port_t(UInt16(truncatingIfNeeded: port)).bigEndian
            return withUnsafePointer(to: &v6) { bindError(AF_INET6, $0, socklen_t(MemoryLayout<sockaddr_in6>.size)) }
        }
        return nil
    }

    private static func bindError<Address>(_ family: Int32, _ address: UnsafePointer<Address>, _ length: socklen_t) -> Int32? {
        #if canImport(Glibc)
            let fd = socket(family, Int32(SOCK_STREAM.rawValue), 0)
        #else
            let fd = socket(family, SOCK_STREAM, 0)
        #endif
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        // As the servers bind: with SO_REUSEADDR, so that connections in TIME_WAIT do not count as "in use".
        var one: Int32 = 1
        _ = setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
        let result = address.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) }
        return result == 0 ? nil : errno
    }
}
