import FlotillaCore
import HTTPTypes
import NIOCore

extension RequestId {
    /// `address:port` of a socket address (IPv6 in brackets), `unknown` for none.
    static func describe(_ address: SocketAddress?) -> String {
        guard let address, let ip = address.ipAddress else { return address.map { "\($0)" } ?? "unknown" }
        let host = ip.contains(":") ? "[\(ip)]" : ip
        return address.port.map { "\(host):\($0)" } ?? host
    }
}

extension HTTPField.Name {
    /// The request's id (``RequestId``), on every response.
    public static let requestId = HTTPField.Name(constant: "X-Request-Id")
}
