import FlotillaCore
import Hummingbird

/// Who is calling.
public struct Principal: Sendable, Equatable {
    public var keyId: String
    public var name: String
    public var role: Role
}

/// The request context of every route: Hummingbird's core storage plus the caller.
public struct FlotillaRequestContext: RequestContext {
    public var coreContext: CoreRequestContextStorage
    public var principal: Principal?
    /// This request's id (``RequestId``), returned as `X-Request-Id`; set by ``EdgeMiddleware``.
    public var requestId: String
    /// `address:port` of the client's connection; `unknown` where the transport has none (in-process tests).
    public var remoteAddress: String

    public init(source: Source) {
        self.coreContext = .init(source: source)
        self.principal = nil
        self.requestId = ""
        self.remoteAddress = RequestId.describe(source.channel.remoteAddress)
    }

    /// Bodies above this size are refused with 413 (docs/api/surface-a-compute.md, shared rules).
    public var maxUploadSize: Int { HTTPLimits.maxBody }
}

/// Limits every surface shares.
public enum HTTPLimits {
    public static let maxBody = 1 << 20
}
