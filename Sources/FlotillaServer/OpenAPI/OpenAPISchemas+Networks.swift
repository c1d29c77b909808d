import FlotillaCore

extension OpenAPISchemas {
    /// Surface D's VM networks (`Global.Network`, `NetworkList`, `NetworkDetail`: synthesized `Codable`, no nulls).
    static let networks: [String: JSONValue] = [
        "GlobalNetwork": object([
            "name": string, "cidr": string, "gateway": string, "bridge": string, "managed": boolean,
            "nameservers": stringArray, "addresses_in_use": integer,
        ]),
        "GlobalNetworkList": object(["items": array(ref("GlobalNetwork"))]),
        "GlobalNetworkDetail": object([
            "network": ref("GlobalNetwork"),
            "allocations": array(object(["address": string, "instance_id": string, "instance_name": string], optional: ["mac": string])),
        ]),
    ]
}
