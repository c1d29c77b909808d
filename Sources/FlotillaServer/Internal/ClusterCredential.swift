import Crypto
import FlotillaCluster
import FlotillaCore
import Foundation
import HTTPTypes
import Hummingbird

/// The host-to-host credential (docs/api/surface-d-global.md, Internal routes): a token derived from the cluster
/// secret, sent as `X-Flotilla-Cluster-Token`. Clients never hold it: it is not an API key, and API keys never open the
/// internal routes.
///
/// With a cluster CA (ADR 0017) the token is no longer enough: the caller must also have presented a client
/// certificate that chains to the CA (the listener verified it and names it in `X-Flotilla-Peer-Certificate`).
public struct ClusterCredential: Sendable {
    /// The hex HMAC-SHA256 of a fixed label under the cluster secret.
    public let token: String
    /// Whether internal routes also require a verified client certificate (mutual TLS between hosts).
    public let requiresPeerCertificate: Bool

    public init(secret: String, requiresPeerCertificate: Bool = false) {
        let mac = HMAC<SHA256>.authenticationCode(
            for: Data("flotilla-internal-v1".utf8), using: SymmetricKey(data: Data(secret.utf8)))
        token = APIKeyHasher.hex(mac)
        self.requiresPeerCertificate = requiresPeerCertificate
    }

    /// Whether the request carries this cluster's token (and, with mutual TLS, came with a verified client
    /// certificate).
    func admits(_ request: Request) -> Bool {
        guard let sent = request.headers[.clusterToken] else { return false }
        return Self.equalInConstantTime(Array(sent.utf8), Array(token.utf8)) && hasPeerCertificate(request)
    }

    /// Whether the request came with a verified client certificate, where one is required.
    private func hasPeerCertificate(_ request: Request) -> Bool {
        !requiresPeerCertificate || request.headers[.peerCertificate] != nil
    }

    /// Authorizes a call to an internal route: 401 without a credential or with a wrong one, 403 for a
    /// client API key (valid or not a cluster token, it never opens these routes).
    func authorize(_ request: Request, authenticator: Authenticator) throws {
        if request.headers[.clusterToken] != nil {
            guard hasPeerCertificate(request) else {
                throw FlotillaError(
                    .unauthorized, "Internal routes need a client certificate of this cluster's CA (mutual TLS between hosts)")
            }
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
    public static let clusterToken = HTTPField.Name(constant: "X-Flotilla-Cluster-Token")
    /// The subject of the client certificate the connection presented, verified against the cluster CA; set by
    /// the listener only (a client's own is removed).
    public static let peerCertificate = HTTPField.Name(constant: "X-Flotilla-Peer-Certificate")
    /// Set by a host that forwarded a request to the instance's owner: the owner answers, never forwards again.
    public static let forwardedBy = HTTPField.Name(constant: "X-Flotilla-Forwarded-By")
}
