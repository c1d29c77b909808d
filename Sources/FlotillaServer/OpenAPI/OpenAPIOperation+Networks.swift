import FlotillaCore

extension OpenAPIOperation {
    /// Surface D's VM networks (docs/api/surface-d-global.md, docs/decisions/0025-vm-networks.md).
    static let networks: [OpenAPIOperation] = [
        .init(
            method: "get", path: "/api/v2/networks", summary: "The cluster's VM networks, by name, with the count of addresses in use",
            access: .key(.read), success: [200: "GlobalNetworkList"]),
        .init(
            method: "get", path: "/api/v2/networks/:name", summary: "One VM network and the address each live instance holds on it",
            access: .key(.read), success: [200: "GlobalNetworkDetail"]),
    ]
}
