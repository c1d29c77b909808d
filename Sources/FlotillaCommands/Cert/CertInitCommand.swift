import ArgumentParser
import FlotillaTLS

/// `flotilla cert init`: a new cluster CA in a folder (the key owner-only; an existing CA is never overwritten).
struct CertInitCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "init", abstract: "Make a cluster CA: DIR/ca.pem (give it to every host and client) and DIR/ca-key.pem (keep it safe)."
    )

    @Option(help: "The CA's folder (default \(CertCommand.defaultDirectory)).")
    var dir: String = CertCommand.defaultDirectory
    @Option(help: "The CA's common name.")
    var name: String = "Flotilla cluster CA"
    @Option(help: "Days the CA is valid (default 3650).")
    var days: Int = 3650

    func run() async throws {
        guard (1...36_500).contains(days) else { throw ValidationError("--days must be from 1 to 36500") }
        do {
            try CertificateAuthority.create(name: name, validity: .days(days)).save(directory: dir)
        } catch let error as TLSFileError {
            ClientRunner.printError("error: \(error.message)")
            throw ExitCode.failure
        }
        ClientRunner.printOut(
            """
            cluster CA written:
              certificate  \(dir)/\(CertificateAuthority.certificateFile)
              key          \(dir)/\(CertificateAuthority.keyFile) (owner-only; needed only to issue certificates)
            next: flotilla cert issue --dir \(dir) --host HOST --san ADDRESS

            """)
    }
}
