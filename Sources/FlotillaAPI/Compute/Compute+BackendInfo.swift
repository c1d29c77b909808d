import Foundation

extension Compute {
    /// `GET /api/v1/compute/backends/:backend/info`.
    public struct BackendInfo: Codable, Sendable, Equatable {
        public struct HealthCheck: Codable, Sendable, Equatable {
            public var status: String
            public var lastCheck: Date
            public var reason: String?
            public init(status: String, lastCheck: Date, reason: String? = nil) {
                self.status = status
                self.lastCheck = lastCheck
                self.reason = reason
            }
        }
        public var type: String
        public var version: String
        public var apiVersion: String
        public var status: String
        public var capabilities: [String]
        public var supportedTypes: [String]
        public var healthCheck: HealthCheck
        public init(
            type: String, version: String, apiVersion: String, status: String, capabilities: [String],
            supportedTypes: [String], healthCheck: HealthCheck
        ) {
            self.type = type
            self.version = version
            self.apiVersion = apiVersion
            self.status = status
            self.capabilities = capabilities
            self.supportedTypes = supportedTypes
            self.healthCheck = healthCheck
        }
    }
}
