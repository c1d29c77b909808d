import Foundation

/// The cluster secret of a host: the configured one, or (single host on SQLite) one generated on first
/// start and kept in `<data-dir>/cluster-secret`, readable by its owner only.
enum ClusterSecret {
    static func resolve(_ configuration: HostConfiguration) throws -> String {
        if let secret = configuration.clusterSecret, !secret.isEmpty { return secret }
        let path = configuration.dataDir + "/cluster-secret"
        if let data = FileManager.default.contents(atPath: path),
            let text = String(data: data, encoding: .utf8)?.trimmingCharacters(in: .whitespacesAndNewlines), !text.isEmpty
        {
            return text
        }
        var bytes = [UInt8](repeating: 0, count: 32)
        var generator = SystemRandomNumberGenerator()
        for i in bytes.indices { bytes[i] = UInt8.random(in: 0...255, using: &generator) }
        let secret = bytes.map { String(format: "%02x", $0) }.joined()
        guard FileManager.default.createFile(atPath: path, contents: Data(secret.utf8), attributes: [.posixPermissions: 0o600]) else {
            throw HostError.configuration("could not write the cluster secret to \(path)")
        }
        return secret
    }
}
