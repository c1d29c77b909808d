import ArgumentParser

/// `flotilla cert ...`: the cluster CA and host certificates (ADR 0017), made with swift-certificates, no openssl.
struct CertCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cert",
        abstract: "Make a cluster CA, issue host certificates, show a certificate.",
        subcommands: [CertInitCommand.self, CertIssueCommand.self, CertShowCommand.self]
    )

    /// Where `init` writes the CA and `issue` reads it, unless `--dir` says otherwise.
    static let defaultDirectory = "./flotilla-ca"
}
