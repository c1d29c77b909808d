import Crypto
import Foundation

/// One peer-probe message on the wire (docs/decisions/0035-peer-probes.md): its fields joined by U+001F, then the
/// first 16 bytes of an HMAC-SHA256 over them under a key derived from the cluster secret. Without the secret nobody
/// can answer for a dead worker (keeping it "alive") or make a worker ping somewhere; a datagram whose tag does not
/// match is dropped.
public enum ProbeDatagram: Sendable, Equatable {
    /// "Are you `target`?" A worker answers only to its own id, so a port reused by another process stays silent.
    case ping(nonce: UInt64, target: String)
    /// The answer to the ping or relayed ping numbered `nonce`, from worker `from`.
    case ack(nonce: UInt64, from: String)
    /// "Ping `target` at `address` for me": a helper pings it and relays its answer under `nonce`.
    case pingRequest(nonce: UInt64, target: String, address: String)

    /// The largest datagram read: ids and addresses are short; anything longer is not a probe.
    public static let maxSize = 512
    private static let separator = UInt8(0x1F)
    private static let tagSize = 16

    public func encoded(key: ProbeKey) -> [UInt8] {
        let fields: [String]
        switch self {
        case .ping(let nonce, let target): fields = ["p", String(nonce), target]
        case .ack(let nonce, let from): fields = ["a", String(nonce), from]
        case .pingRequest(let nonce, let target, let address): fields = ["r", String(nonce), target, address]
        }
        var body = Array(fields.joined(separator: "\u{1F}").utf8)
        let tag = key.authenticationCode(for: body)
        body.append(Self.separator)
        body.append(contentsOf: tag.prefix(Self.tagSize))
        return body
    }

    /// The message in `bytes`, or nil when it is not one signed with `key` (or not one at all).
    public static func decode(_ bytes: [UInt8], key: ProbeKey) -> ProbeDatagram? {
        guard bytes.count > tagSize + 1, bytes.count <= maxSize, bytes[bytes.count - tagSize - 1] == separator else { return nil }
        let body = bytes[..<(bytes.count - tagSize - 1)]
        let expected = key.authenticationCode(for: body)
        // Constant time over the tag: no early exit on the first differing byte.
        let differs = zip(expected.prefix(tagSize), bytes.suffix(tagSize)).reduce(UInt8(0)) { $0 | ($1.0 ^ $1.1) }
        guard differs == 0 else { return nil }
        let fields = body.split(separator: separator, omittingEmptySubsequences: false).map { String(decoding: $0, as: UTF8.self) }
        guard fields.count >= 3, let nonce = UInt64(fields[1]), !fields[2].isEmpty else { return nil }
        switch (fields[0], fields.count) {
        case ("p", 3): return .ping(nonce: nonce, target: fields[2])
        case ("a", 3): return .ack(nonce: nonce, from: fields[2])
        case ("r", 4) where !fields[3].isEmpty: return .pingRequest(nonce: nonce, target: fields[2], address: fields[3])
        default: return nil
        }
    }
}

/// The peer probes' key, derived from the cluster secret (HKDF-SHA256 under its own label: it opens nothing else).
public struct ProbeKey: @unchecked Sendable, Equatable {
    /// Never changed after `init` (`SymmetricKey` is immutable, only not marked `Sendable`).
    let symmetric: SymmetricKey
    /// An HMAC already keyed with it, copied for each datagram: keying (two hashers, the padded keys) cost more than
    /// the hashing of a datagram this size. Never changed after `init`.
    private let keyed: HMAC<SHA256>

    public init(clusterSecret: String) {
        symmetric = HKDF<SHA256>.deriveKey(
            inputKeyMaterial: SymmetricKey(data: Data(clusterSecret.utf8)), info: Data("flotilla peer probe v1".utf8), outputByteCount: 32)
        keyed = HMAC(key: symmetric)
    }

    /// HMAC-SHA256 of `bytes` under this key.
    func authenticationCode(for bytes: some DataProtocol) -> HMAC<SHA256>.MAC {
        var mac = keyed
        mac.update(data: bytes)
        return mac.finalize()
    }

    public static func == (lhs: ProbeKey, rhs: ProbeKey) -> Bool { lhs.symmetric == rhs.symmetric }
}

/// How a worker sends and receives its probes: UDP in a host (`UDPProbeTransport`, FlotillaHost).
public protocol ProbeTransport: Sendable {
    /// Where peers reach this worker (`host:port`), written into its heartbeat.
    var address: String { get }
    /// Sends one datagram, without waiting: a lost one is a missed answer, which the probes allow for.
    func send(_ bytes: [UInt8], to address: String)
    /// From now on, hands every datagram received to `handler` with its sender's address (on the transport's thread:
    /// the handler must be quick).
    func receive(_ handler: @escaping @Sendable ([UInt8], String) -> Void)
    /// Stops receiving and releases the socket.
    func close() async
}
