import FlotillaCore
import Foundation

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// A QMP (QEMU Machine Protocol) client on a unix socket: newline-delimited JSON, a greeting, the
/// `qmp_capabilities` handshake, then commands answered by `return` or `error` with the id they were sent
/// with, and asynchronous events in between.
///
/// One ``Session`` is one connection. QEMU serves one QMP client per monitor at a time, so the backend opens a
/// short session per command on the main monitor and closes it; events are followed on a second monitor
/// (``QMPEventConnection``).
/// Every read and write waits at most until the session's deadline. The socket I/O is blocking (with
/// `poll` deadlines) and runs on a dispatch queue, never on the cooperative thread pool.
public enum QMPClient {
    /// Runs `body` with a connected, negotiated session; the session is closed afterwards. Throws
    /// ``QMPError`` when QEMU does not answer in time.
    public static func withSession<T: Sendable>(
        socketPath: String, timeout: Duration, _ body: @escaping @Sendable (Session) throws -> T
    ) async throws -> T {
        let deadline = ContinuousClock.now + timeout
        return try await withCheckedThrowingContinuation { continuation in
            queue.async {
                continuation.resume(
                    with: Result {
                        let session = try Session(socketPath: socketPath, deadline: deadline)
                        defer { session.close() }
                        try session.negotiate()
                        return try body(session)
                    })
            }
        }
    }

    /// Runs one command in its own session and returns its `return` value.
    @discardableResult
    public static func execute(
        socketPath: String, _ command: String, arguments: [String: JSONValue]? = nil, timeout: Duration = .seconds(3)
    ) async throws -> JSONValue {
        try await withSession(socketPath: socketPath, timeout: timeout) { try $0.execute(command, arguments: arguments) }
    }

    private static let queue = DispatchQueue(label: "flotilla.qmp", attributes: .concurrent)

    /// One QMP connection. Not thread-safe: used by one thread for the length of ``withSession``.
    public final class Session {
        private let fd: Int32
        private let deadline: ContinuousClock.Instant
        private var buffer: [UInt8] = []
        private var nextId = 1
        /// Events received so far, in order.
        public private(set) var events: [QMPEvent] = []
        /// The QEMU version from the greeting.
        public private(set) var version: String = ""

        init(socketPath: String, deadline: ContinuousClock.Instant) throws {
            let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
            guard fd >= 0 else { throw QMPError.connect(socketPath, String(cString: strerror(errno))) }
            var address = sockaddr_un()
            address.sun_family = sa_family_t(AF_UNIX)
            let bytes = Array(socketPath.utf8)
            let capacity = MemoryLayout.size(ofValue: address.sun_path)
            guard bytes.count < capacity else {
                Glibc.close(fd)
                throw QMPError.connect(socketPath, "socket path longer than \(capacity - 1) bytes")
            }
            withUnsafeMutableBytes(of: &address.sun_path) { raw in
                for (i, b) in bytes.enumerated() { raw[i] = b }
                raw[bytes.count] = 0
            }
            let result = withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    connect(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size))
                }
            }
            guard result == 0 else {
                let message = String(cString: strerror(errno))
                Glibc.close(fd)
                throw QMPError.connect(socketPath, message)
            }
            self.fd = fd
            self.deadline = deadline
        }

        func close() { Glibc.close(fd) }

        /// Reads the greeting and leaves capabilities negotiation mode.
        ///
        /// QEMU may write an event before the greeting: when one client closes and the next is accepted, an event
        /// emitted (e.g. `JOB_STATUS_CHANGE` of a running snapshot job) before QEMU has reset the monitor to
        /// negotiation mode goes to the new connection. Such events are kept in ``events`` and skipped.
        func negotiate() throws {
            var greeting = try readMessage()
            while case .object(let fields) = greeting, case .string(let event)? = fields["event"] {
                events.append(QMPEvent(name: event, data: fields["data"]))
                greeting = try readMessage()
            }
            guard case .object(let root) = greeting, case .object(let qmp)? = root["QMP"] else {
                throw QMPError.protocolError("expected the QMP greeting, got \(greeting)")
            }
            if case .object(let v)? = qmp["version"], case .object(let q)? = v["qemu"],
                case .int(let major)? = q["major"], case .int(let minor)? = q["minor"], case .int(let micro)? = q["micro"]
            {
                version = "\(major).\(minor).\(micro)"
            }
            try execute("qmp_capabilities")
        }

        /// Sends a command and waits for its answer (events received meanwhile are kept in ``events``).
        @discardableResult
        public func execute(_ command: String, arguments: [String: JSONValue]? = nil) throws -> JSONValue {
            let id = nextId
            nextId += 1
            var message: [String: JSONValue] = ["execute": .string(command), "id": .int(Int64(id))]
            if let arguments { message["arguments"] = .object(arguments) }
            var data = try JSONEncoder().encode(JSONValue.object(message))
            data.append(UInt8(ascii: "\n"))
            try write(data)
            while true {
                let reply = try readMessage()
                guard case .object(let fields) = reply else { throw QMPError.protocolError("not an object: \(reply)") }
                if case .string(let event)? = fields["event"] {
                    events.append(QMPEvent(name: event, data: fields["data"]))
                    continue
                }
                guard fields["id"] == .int(Int64(id)) else { continue }
                if let value = fields["return"] { return value }
                if case .object(let error)? = fields["error"] {
                    let cls: String
                    if case .string(let c)? = error["class"] { cls = c } else { cls = "GenericError" }
                    let desc: String
                    if case .string(let d)? = error["desc"] { desc = d } else { desc = "\(error)" }
                    throw QMPError.commandFailed(command: command, errorClass: cls, description: desc)
                }
                throw QMPError.protocolError("answer without return or error: \(reply)")
            }
        }

        /// Waits until an event named `name` arrives (or has arrived), up to the session's deadline.
        public func waitForEvent(_ name: String) throws -> QMPEvent {
            while true {
                if let event = events.first(where: { $0.name == name }) { return event }
                let message = try readMessage()
                if case .object(let fields) = message, case .string(let event)? = fields["event"] {
                    events.append(QMPEvent(name: event, data: fields["data"]))
                }
            }
        }

        private func write(_ data: Data) throws {
            var offset = 0
            let bytes = [UInt8](data)
            while offset < bytes.count {
                try waitFor(Int16(POLLOUT))
                let n = bytes[offset...].withUnsafeBytes { send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
                if n < 0 {
                    if errno == EINTR || errno == EAGAIN { continue }
                    throw QMPError.closed(String(cString: strerror(errno)))
                }
                offset += n
            }
        }

        /// The next newline-terminated JSON message.
        private func readMessage() throws -> JSONValue {
            while true {
                if let newline = buffer.firstIndex(of: UInt8(ascii: "\n")) {
                    let line = Array(buffer[..<newline])
                    buffer.removeSubrange(...newline)
                    if line.allSatisfy({ $0 == 13 || $0 == 32 }) { continue }
                    do {
                        return try JSONDecoder().decode(JSONValue.self, from: Data(line))
                    } catch {
                        throw QMPError.protocolError("invalid JSON from QEMU: \(String(decoding: line, as: UTF8.self))")
                    }
                }
                guard buffer.count < 4 << 20 else { throw QMPError.protocolError("QMP message larger than 4 MiB") }
                try waitFor(Int16(POLLIN))
                var chunk = [UInt8](repeating: 0, count: 64 * 1024)
                let n = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
                if n < 0 {
                    if errno == EINTR || errno == EAGAIN { continue }
                    throw QMPError.closed(String(cString: strerror(errno)))
                }
                if n == 0 { throw QMPError.closed("QEMU closed the QMP socket") }
                buffer.append(contentsOf: chunk[..<n])
            }
        }

        private func waitFor(_ events: Int16) throws {
            while true {
                let left = deadline - ContinuousClock.now
                guard left > .zero else { throw QMPError.timeout }
                let ms = Int32(min(left.components.seconds * 1000 + left.components.attoseconds / 1_000_000_000_000_000 + 1, 60_000))
                var pfd = pollfd(fd: fd, events: events, revents: 0)
                let r = poll(&pfd, 1, ms)
                if r < 0 {
                    if errno == EINTR { continue }
                    throw QMPError.closed(String(cString: strerror(errno)))
                }
                if r > 0 { return }
            }
        }
    }
}

/// An asynchronous QMP event (`SHUTDOWN`, `STOP`, `RESUME`, `POWERDOWN`...).
public struct QMPEvent: Sendable, Equatable {
    public var name: String
    public var data: JSONValue?
}

/// Why a QMP exchange failed.
public enum QMPError: Error, Sendable, Equatable, CustomStringConvertible {
    case connect(String, String)
    case timeout
    case closed(String)
    case protocolError(String)
    case commandFailed(command: String, errorClass: String, description: String)

    public var description: String {
        switch self {
        case .connect(let path, let why): return "cannot connect to QMP at \(path): \(why)"
        case .timeout: return "QMP did not answer before the deadline"
        case .closed(let why): return "QMP connection closed: \(why)"
        case .protocolError(let why): return "QMP protocol error: \(why)"
        case .commandFailed(let command, let cls, let desc): return "QMP \(command) failed: \(cls): \(desc)"
        }
    }
}
