import FlotillaAPI
import Foundation

/// The cluster's VM networks (`/api/v2/networks`, docs/api/surface-d-global.md).
extension FlotillaClient {
    /// `GET /api/v2/networks`.
    public func networks() async throws -> Global.NetworkList {
        try await send(.get, RequestTarget(Self.globalPath + ["networks"])).value
    }

    /// `GET /api/v2/networks/{name}`: the network and its allocations.
    public func network(name: String) async throws -> Global.NetworkDetail {
        try await send(.get, RequestTarget(Self.globalPath + ["networks", name])).value
    }
}
