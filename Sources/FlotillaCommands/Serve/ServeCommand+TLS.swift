import ArgumentParser
import FlotillaCore
import FlotillaHost

extension ServeCommand {
    /// `--tls-cert`, `--tls-key`, `--tls-ca`, `--insecure` (ADR 0017), checked before anything is locked or
    /// written: both files or neither, a CA only with them, and no plain text on a non-loopback address unless
    /// `--insecure` says so.
    func tlsOptions(_ env: Environment, into c: inout HostConfiguration) throws {
        let certificate = tlsCert ?? env["TLS_CERT"]
        let key = tlsKey ?? env["TLS_KEY"]
        let ca = tlsCa ?? env["TLS_CA"]
        switch (certificate, key) {
        case (let certificate?, let key?): c.tls = ListenerTLS(certificate: certificate, key: key, clusterCA: ca)
        case (nil, nil):
            if ca != nil { throw ValidationError("--tls-ca needs --tls-cert and --tls-key (this host's own certificate)") }
        case (nil, _): throw ValidationError("--tls-key needs --tls-cert")
        case (_, nil): throw ValidationError("--tls-cert needs --tls-key")
        }
        if let value = env["INSECURE"], value != "true" && value != "false" {
            throw ValidationError("FLOTILLA_INSECURE must be true or false, got \(value)")
        }
        c.insecure = insecure || env["INSECURE"] == "true"
        if case .refused(let message) = Self.listenVerdict(c) { throw ValidationError(message) }
    }

    /// Whether the listeners of `c` may listen in plain text where they are asked to.
    static func listenVerdict(_ c: HostConfiguration) -> ListenPolicy.Verdict {
        var listeners = [ListenPolicy.Listener(option: "--listen", host: c.listenHost)]
        if c.grpcListenPort != nil { listeners.append(ListenPolicy.Listener(option: "--grpc-listen", host: c.grpcListenHost)) }
        return ListenPolicy.verdict(listeners, tls: c.tls != nil, insecure: c.insecure)
    }
}
