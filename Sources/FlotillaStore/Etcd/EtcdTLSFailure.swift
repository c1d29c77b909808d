import Foundation
import NIOSSL

/// Tells TLS failures apart from other transport failures and says in words what went wrong, for
/// ``EtcdError/tls(endpoint:cause:)`` (docs/decisions/0020-etcd-over-tls.md).
enum EtcdTLSFailure {
    /// Whether `error` comes from TLS itself: a failed handshake, a certificate or name that did not verify, an
    /// alert from the member. A connection closed without TLS's goodbye (`uncleanShutdown`) is not: a member
    /// that dies does that too.
    static func isTLSFailure(_ error: any Error) -> Bool {
        switch error {
        case let error as NIOSSLError: return error != .uncleanShutdown
        case is NIOSSLExtraError, is BoringSSLError: return true
        default: return false
        }
    }

    /// What went wrong, in words, then TLS's own reason (e.g. `SSLV3_ALERT_BAD_CERTIFICATE`).
    static func cause(of error: any Error, presentsClientCertificate: Bool) -> String {
        let text = String(describing: error)
        let reason = self.reason(in: text) ?? text
        let words: String
        if let error = error as? NIOSSLExtraError, error == .failedToValidateHostname {
            words = "the member's certificate does not name this address"
        } else if reason.contains("ALERT_BAD_CERTIFICATE") || reason.contains("ALERT_CERTIFICATE_REQUIRED")
            || reason.contains("ALERT_UNKNOWN_CA") || reason.contains("ALERT_CERTIFICATE_EXPIRED")
            || reason.contains("ALERT_HANDSHAKE_FAILURE")
        {
            words =
                presentsClientCertificate
                ? "the member refused this host's client certificate (not signed by a CA it trusts, expired, or not yet valid)"
                : "the member requires a client certificate and none is configured (--etcd-cert and --etcd-key)"
        } else if reason.contains("CERTIFICATE_VERIFY_FAILED") {
            words = "the member's certificate did not verify against the trusted CA (--etcd-cacert), or it expired"
        } else if reason.contains("WRONG_VERSION_NUMBER") {
            words = "the member does not speak TLS (a plain member is etcd://, not etcds://)"
        } else if reason.contains("EOF during handshake") {
            words =
                "the member closed the connection during the handshake, as a member that serves plain http does "
                + "(a plain member is etcd://, not etcds://)"
        } else {
            words = "the handshake failed"
        }
        return "\(words): \(reason)"
    }

    /// BoringSSL's reason code in an error's text: `...:OPENSSL_internal:REASON at file:line`.
    static func reason(in text: String) -> String? {
        guard let marker = text.range(of: "OPENSSL_internal:") else { return nil }
        let reason = text[marker.upperBound...].prefix { $0.isLetter || $0.isNumber || $0 == "_" }
        return reason.isEmpty ? nil : String(reason)
    }
}
