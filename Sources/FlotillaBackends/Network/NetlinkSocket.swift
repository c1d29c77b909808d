import Glibc

/// A blocking rtnetlink socket (`AF_NETLINK`, `NETLINK_ROUTE`) for one operation on one thread: it sends a
/// request with its own sequence number and reads the kernel's answer until the matching NLMSG_ERROR (the ack) or
/// NLMSG_DONE (the end of a dump). Every receive has a deadline (SO_RCVTIMEO, ``receiveTimeout``) and every
/// answer a size limit (``answerLimit``). A netlink socket stays in the network namespace it was created in, so
/// it is opened on the thread that does the work (see ``NetlinkThread``). Not Sendable: one thread owns it.
final class NetlinkSocket {
    /// How long one receive waits for the kernel, which answers rtnetlink requests at once.
    static let receiveTimeout: Int = 5
    /// The most bytes one answer (a whole dump) may take: far more than the devices of any host.
    static let answerLimit = 16 << 20
    /// One datagram's buffer: the kernel sizes dump datagrams to the reader's buffer, 32 KiB at least.
    static let datagramSize = 64 << 10

    private let descriptor: Int32
    private var sequence: UInt32 = 0

    /// Opens the socket in the calling thread's network namespace, with receive and send deadlines and extended
    /// acks (the kernel's error text, without the request echoed back).
    init() throws(NetlinkFailure) {
        let socketType = Int32(SOCK_RAW.rawValue) | Int32(SOCK_CLOEXEC.rawValue)
        descriptor = socket(AF_NETLINK, socketType, 0)  // NETLINK_ROUTE is 0
        guard descriptor >= 0 else { throw .lastError("netlink socket") }
        var deadline = timeval(tv_sec: Self.receiveTimeout, tv_usec: 0)
        let size = socklen_t(MemoryLayout<timeval>.size)
        guard setsockopt(descriptor, SOL_SOCKET, SO_RCVTIMEO, &deadline, size) == 0,
            setsockopt(descriptor, SOL_SOCKET, SO_SNDTIMEO, &deadline, size) == 0
        else {
            let failure = NetlinkFailure.lastError("netlink socket deadline")
            close(descriptor)
            throw failure
        }
        // Best effort: older kernels without extended acks still answer with the errno.
        var on: Int32 = 1
        let intSize = socklen_t(MemoryLayout<Int32>.size)
        _ = setsockopt(descriptor, RouteNetlink.socketLevel, RouteNetlink.capAckOption, &on, intSize)
        _ = setsockopt(descriptor, RouteNetlink.socketLevel, RouteNetlink.extendedAckOption, &on, intSize)
    }

    deinit { close(descriptor) }

    /// Sends `request` and returns the messages of its answer before the ack (the device of an RTM_GETLINK,
    /// every device of a dump). Throws the kernel's errno, or EAGAIN when it did not answer in time.
    func transact(_ request: NetlinkRequest) throws(NetlinkFailure) -> [NetlinkMessage] {
        sequence &+= 1
        let expected = sequence
        let bytes = request.encoded(sequence: expected)
        let sent = bytes.withUnsafeBytes { send(descriptor, $0.baseAddress, $0.count, 0) }
        guard sent == bytes.count else { throw .lastError(sent < 0 ? nil : "short netlink send") }
        var answer: [NetlinkMessage] = []
        var total = 0
        var buffer = [UInt8](repeating: 0, count: Self.datagramSize)
        while true {
            let count = buffer.withUnsafeMutableBytes { recv(descriptor, $0.baseAddress, $0.count, 0) }
            if count < 0 {
                if errno == EINTR { continue }
                if errno == EAGAIN || errno == EWOULDBLOCK {
                    throw NetlinkFailure(code: ETIMEDOUT, detail: "no answer from the kernel within \(Self.receiveTimeout) s")
                }
                throw .lastError()
            }
            total += count
            guard total <= Self.answerLimit else { throw NetlinkFailure(code: EMSGSIZE, detail: "answer over \(Self.answerLimit) bytes") }
            // Messages of another sequence (none are expected: one request at a time) are skipped.
            for message in NetlinkMessage.parse(buffer[..<count]) where message.sequence == expected {
                if let code = message.errorCode {
                    guard code == 0 else { throw NetlinkFailure(code: code, detail: message.errorDetail) }
                    return answer
                }
                if message.flags & RouteNetlink.dumpInterrupted != 0 {
                    throw NetlinkFailure(code: EINTR, detail: "the device list changed during the dump")
                }
                answer.append(message)
            }
        }
    }
}
