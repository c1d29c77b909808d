import FlotillaAPI

/// Surface C, `/api/v1/flavors`: reading needs a reader key, creating and deleting an admin key.
extension FlotillaClient {
    static let flavorsPath = ["api", "v1", "flavors"]

    /// `GET /api/v1/flavors`.
    public func listFlavors() async throws -> VMs.FlavorList {
        try await send(.get, RequestTarget(Self.flavorsPath)).value
    }

    /// `GET /api/v1/flavors/{id}`.
    public func flavor(id: String) async throws -> VMs.Flavor {
        try await send(.get, RequestTarget(Self.flavorsPath + [id])).value
    }

    /// `POST /api/v1/flavors` (admin): the new flavor; its id defaults to its name.
    public func createFlavor(_ request: VMs.FlavorCreateRequest) async throws -> VMs.Flavor {
        try await send(.post, RequestTarget(Self.flavorsPath), body: request).value
    }

    /// `DELETE /api/v1/flavors/{id}` (admin): the deleted flavor.
    public func deleteFlavor(id: String) async throws -> VMs.Flavor {
        try await send(.delete, RequestTarget(Self.flavorsPath + [id])).value
    }
}
