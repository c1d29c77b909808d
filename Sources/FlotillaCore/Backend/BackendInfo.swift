public import Foundation

/// Live facts about a backend.
public struct BackendInfo: Sendable, Equatable, Codable {
    public enum Status: String, Sendable, Codable { case running, unavailable }
    public var kind: BackendKind
    public var version: String
    public var apiVersion: String
    public var status: Status
    public var capabilities: [String]
    public var supportedKinds: [InstanceKind]
    /// Why the backend is unavailable, when it is.
    public var reason: String?
    public var checkedAt: Date

    public init(
        kind: BackendKind, version: String, apiVersion: String, status: Status, capabilities: [String],
        supportedKinds: [InstanceKind], reason: String? = nil, checkedAt: Date
    ) {
        self.kind = kind
        self.version = version
        self.apiVersion = apiVersion
        self.status = status
        self.capabilities = capabilities
        self.supportedKinds = supportedKinds
        self.reason = reason
        self.checkedAt = checkedAt
    }
}
