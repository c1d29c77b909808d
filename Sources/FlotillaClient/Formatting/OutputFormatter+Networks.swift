import FlotillaAPI
import Foundation

/// The `table` output of `flotilla network`.
extension OutputFormatter {
    /// NAME, CIDR, GATEWAY, BRIDGE (with `(managed)`), DNS, IN USE.
    public static func networkList(_ list: Global.NetworkList) -> String {
        if list.items.isEmpty { return "No networks. Define one with flotilla serve --network NAME=CIDR.\n" }
        let rows = list.items.map { n in
            [
                n.name, n.cidr, n.gateway, n.bridge + (n.managed ? " (managed)" : ""),
                n.nameservers.isEmpty ? "-" : n.nameservers.joined(separator: ","), String(n.addressesInUse),
            ]
        }
        return TableRenderer(headers: ["NAME", "CIDR", "GATEWAY", "BRIDGE", "DNS", "IN USE"], rows: rows).render()
    }
}
