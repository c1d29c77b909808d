import ArgumentParser
import FlotillaClient
import FlotillaTLS
import Foundation

/// `flotilla cert show FILE`: subject, SANs and expiry of every certificate in a PEM file.
struct CertShowCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "show", abstract: "Print a certificate's subject, SANs and expiry.")

    @Argument(help: "A PEM file.")
    var file: String
    @Option(help: "Output format: table or json.")
    var output: OutputFormat = .table

    func run() async throws {
        let summaries: [CertificateSummary]
        do {
            summaries = try CertificateSummary.read(file)
        } catch {
            ClientRunner.printError("error: \(error)")
            throw ExitCode.failure
        }
        switch output {
        case .json: ClientRunner.printOut(try OutputFormatter.json(summaries))
        case .table: ClientRunner.printOut(summaries.map(Self.table).joined(separator: "\n"))
        }
    }

    static func table(_ s: CertificateSummary) -> String {
        let now = Date()
        let left = s.notAfter.timeIntervalSince(now) / 86_400
        let state =
            s.isExpired(at: now) ? (now < s.notBefore ? "not yet valid" : "EXPIRED") : "valid, \(Int(left.rounded(.down))) days left"
        let format = ISO8601DateFormatter()
        return """
            subject:      \(s.subject)
            issuer:       \(s.issuer)
            names:        \(s.alternativeNames.isEmpty ? "-" : s.alternativeNames.joined(separator: ", "))
            valid from:   \(format.string(from: s.notBefore))
            expires:      \(format.string(from: s.notAfter)) (\(state))
            CA:           \(s.isAuthority ? "yes" : "no")
            usage:        \(s.usages.isEmpty ? "-" : s.usages.joined(separator: ", "))
            serial:       \(s.serial)
            sha256:       \(s.fingerprint)

            """
    }
}
