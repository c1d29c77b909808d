import FlotillaTLS
import Foundation

/// The cluster secret of a host: the configured one, or (single host on SQLite) one generated on first
/// start and kept in `<data-dir>/cluster-secret`, readable by its owner only. API keys are stored as HMACs
/// under a key derived from it (ADR 0014): losing or changing it makes every stored key unknown.
enum ClusterSecret {
    static func resolve(_ configuration: HostConfiguration) throws -> String {
        if let secret = configuration.clusterSecret, !secret.isEmpty { return secret }
        let path = configuration.dataDir + "/cluster-secret"
        if let secret = try OwnerOnlyFile.read(path, what: "cluster secret", limit: 4096) { return secret }
        var generator = SystemRandomNumberGenerator()
        let secret = (0..<32).map { _ in String(format: "%02x", UInt8.random(in: 0...255, using: &generator)) }.joined()
        try OwnerOnlyFile.save(secret, to: path, what: "cluster secret")
        return secret
    }
}
