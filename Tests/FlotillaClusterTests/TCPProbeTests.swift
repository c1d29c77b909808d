import FlotillaCluster
import FlotillaCore
import Foundation
import Testing

#if canImport(Glibc)
    import Glibc
#endif

@Suite("TCP probe of a leader's address")
struct TCPProbeTests {
    /// A listening socket on a free loopback port; returns its descriptor and port.
    func listen() throws -> (Int32, Int) {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { pointer in
                bind(fd, pointer, length) == 0 && Glibc.listen(fd, 8) == 0 && getsockname(fd, pointer, &length) == 0
            }
        }
        try #require(bound)
        return (fd, Int(UInt16(bigEndian: address.sin_port)))
    }

    @Test("a listening port answers; once closed it refuses; a wrong address says nothing certain")
    func outcomes() async throws {
        let (fd, port) = try listen()
        #expect(await TCPProbe.connect("http://127.0.0.1:\(port)", timeout: .seconds(2)) == .answered)
        close(fd)
        #expect(await TCPProbe.connect("http://127.0.0.1:\(port)", timeout: .seconds(2)) == .refused)
        #expect(await TCPProbe.connect("http://127.0.0.1:0", timeout: .seconds(2)) == .silent)
        #expect(await TCPProbe.connect("not a url", timeout: .seconds(2)) == .silent)
    }
}
