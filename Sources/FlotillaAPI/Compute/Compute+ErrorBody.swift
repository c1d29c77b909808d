import FlotillaCore

extension Compute {
    /// Surface A's error body: `{"error":{"code","message","details"}}`.
    public struct ErrorBody: Codable, Sendable, Equatable {
        public struct Detail: Codable, Sendable, Equatable {
            public var code: String
            public var message: String
            public var details: [String: JSONValue]?
            public init(code: String, message: String, details: [String: JSONValue]? = nil) {
                self.code = code
                self.message = message
                self.details = details
            }
        }
        public var error: Detail
        public init(error: Detail) { self.error = error }
    }
}
