import GRPCNIOTransportHTTP2
import NIOSSL

extension EtcdLeaseStream {
    /// The lease stream's TLS, the same as the store's other calls (ADR 0020): its trusted CA, its client certificate
    /// and key, its verification; nil: plain TCP.
    static func security(_ tls: TLSConfiguration?) throws -> HTTP2ClientTransport.Posix.TransportSecurity {
        guard let tls else { return .plaintext }
        let chain: [TLSConfig.CertificateSource] = try tls.certificateChain.map { source in
            switch source {
            case .certificate(let certificate): .bytes(try certificate.toDERBytes(), format: .der)
            case .file(let path): .file(path: path, format: .pem)
            }
        }
        let key: TLSConfig.PrivateKeySource? =
            switch tls.privateKey {
            case .privateKey(let key): .bytes(try key.derBytes, format: .der)
            case .file(let path): .file(path: path, format: .pem)
            case nil: nil
            }
        let roots: TLSConfig.TrustRootsSource =
            switch tls.trustRoots {
            case .certificates(let certificates): .certificates(try certificates.map { .bytes(try $0.toDERBytes(), format: .der) })
            case .file(let path): .certificates([.file(path: path, format: .pem)])
            case .default, nil: .systemDefault
            }
        let verification: TLSConfig.CertificateVerification =
            switch tls.certificateVerification {
            case .none: .noVerification
            case .noHostnameVerification: .noHostnameVerification
            case .fullVerification: .fullVerification
            @unknown default: .fullVerification
            }
        return .tls(.init(certificateChain: chain, privateKey: key, serverCertificateVerification: verification, trustRoots: roots))
    }
}
