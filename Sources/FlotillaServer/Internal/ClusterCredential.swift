import Crypto
import FlotillaCore
import Foundation
import HTTPTypes
import Hummingbird

/// The host-to-host credential (contract section 0): a token derived from the cluster secret, sent as
/// `X-Flotilla-Cluster-Token`. Clients never hold it: it is not an API key, and API keys never open the
/// internal routes.
public struct ClusterCredential: Sendable {
    /// The hex HMAC-SHA256 of a fixed label under the cluster secret.
    public let token: String

    public init(secret: String) {
        let mac = HMAC<SHA256>.authenticationCode(
            for: Data("flotilla-internal-v1".utf8), using: SymmetricKey(data: Data(secret.utf8)))
        token = Authenticator.hex(mac)
    }

    /// Whether the request carries this cluster's token.
    func admits(_ request: Request) -> Bool {
        guard let sent = request.headers[.clusterToken] else { return false }
        return Self.equalInConstantTime(Array(sent.utf8), Array(token.utf8))
    }

    /// Authorizes a call to an internal route: 401 without a credential or with a wrong one, 403 for a
    /// client API key (valid or not a cluster token, it never opens these routes).
    func authorize(_ request: Request, authenticator: Authenticator) throws {
        if request.headers[.clusterToken] != nil {
            guard admits(request) else { throw FlotillaError(.unauthorized, "Invalid cluster credential") }
            return
        }
        guard let key = Authenticator.credential(of: request) else {
            throw FlotillaError(.unauthorized, "Internal routes need the cluster credential")
        }
        if authenticator.knows(key) {
            throw FlotillaError(
                .forbidden, "Client API keys do not open internal routes; only other hosts of this cluster may call them")
        }
        throw FlotillaError(.unauthorized, Authenticator.invalidKeyMessage)
    }

    static func equalInConstantTime(_ a: [UInt8], _ b: [UInt8]) -> Bool {
        guard a.count == b.count else { return false }
        var diff: UInt8 = 0
        for (x, y) in zip(a, b) { diff |= x ^ y }
        return diff == 0
    }
}

extension HTTPField.Name {
    /// The cluster credential of a host-to-host call.
    public static let clusterToken = HTTPField.Name("X-Flotilla-Cluster-Token")!
    /// Set by a host that forwarded a request to the instance's owner: the owner answers, never forwards again.
    public static let forwardedBy = HTTPField.Name("X-Flotilla-Forwarded-By")!
}
