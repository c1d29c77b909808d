import ArgumentParser
import FlotillaTLS

/// `flotilla cert issue`: a host certificate (server and client use) signed by the cluster CA.
struct CertIssueCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "issue",
        abstract: "Issue a host certificate signed by the cluster CA, for --tls-cert and --tls-key.",
        discussion: "Name every address other hosts and clients use to reach the host with --san (IP addresses and DNS names).")

    @Option(help: "The CA's folder (default \(CertCommand.defaultDirectory)).")
    var dir: String = CertCommand.defaultDirectory
    @Option(help: "The host's name: the certificate's common name, and a DNS name in it.")
    var host: String
    @Option(help: "Another name of the host, an IP address or a DNS name; repeatable.")
    var san: [String] = []
    @Option(help: "Days the certificate is valid (default 365).")
    var days: Int = 365
    @Option(help: "Folder for HOST.pem and HOST-key.pem (default: the CA's folder).")
    var out: String?

    func run() async throws {
        guard (1...3650).contains(days) else { throw ValidationError("--days must be from 1 to 3650") }
        guard SubjectAlternativeName(host) != nil, !host.contains("/") else {
            throw ValidationError("--host must be a DNS name (letters, digits, '-', '.'), got \(host)")
        }
        let names = try san.map { text in
            guard let name = SubjectAlternativeName(text) else {
                throw ValidationError("--san must be an IP address or a DNS name, got \(text)")
            }
            return name
        }
        let folder = out ?? dir
        let certificate = "\(folder)/\(host).pem"
        let key = "\(folder)/\(host)-key.pem"
        do {
            let ca = try CertificateAuthority.load(directory: dir)
            try ca.issue(host: host, alternativeNames: names, validity: .days(days)).save(certificate: certificate, key: key)
        } catch let error as TLSFileError {
            ClientRunner.printError("error: \(error.message)")
            throw ExitCode.failure
        } catch let error as OwnerOnlyFileError {
            ClientRunner.printError("error: \(error.message)")
            throw ExitCode.failure
        }
        ClientRunner.printOut(
            """
            host certificate written:
              certificate  \(certificate)
              key          \(key) (owner-only)
            serve with: flotilla serve --tls-cert \(certificate) --tls-key \(key) --tls-ca \(dir)/\(CertificateAuthority.certificateFile)

            """)
    }
}
