import FlotillaCore

/// The NoCloud `network-config` of a VM (cloud-init's network config version 2; docs/decisions/0025-vm-networks.md).
/// Pure, so it is table-tested as text.
///
/// One `ethernets` entry per interface, `eth<i>`, matched by the guest MAC and renamed to `eth<i>` (on microvm
/// the order the guest finds its devices in is not the command line's); its static address with the network's
/// prefix length; the default route through the gateway on the first interface only (one default route); the
/// network's nameservers when it has any. An interface without an address gets no `addresses`. MACs are quoted:
/// YAML 1.1 reads an all-digit `12:34:...` as a number.
public enum CloudInitNetworkConfig {
    /// The YAML text; nil when there is no interface.
    public static func yaml(instanceId: String, interfaces: [NetworkInterface], networks: [String: NetworkDefinition]) -> String? {
        guard !interfaces.isEmpty else { return nil }
        var lines = ["version: 2", "ethernets:"]
        for (index, interface) in interfaces.enumerated() {
            let name = "eth\(index)"
            let mac = QEMUCommandLine.guestMAC(of: interface, index: index, instanceId: instanceId)
            lines += ["  \(name):", "    match:", "      macaddress: \"\(mac)\"", "    set-name: \(name)"]
            guard let network = networks[interface.network], let address = interface.address else { continue }
            lines += ["    addresses:", "      - \(address)/\(network.cidr.prefixLength)"]
            if index == 0 {
                lines += ["    routes:", "      - to: default", "        via: \(network.gateway)"]
            }
            if !network.nameservers.isEmpty {
                lines += ["    nameservers:", "      addresses:"] + network.nameservers.map { "        - \($0)" }
            }
        }
        return lines.joined(separator: "\n") + "\n"
    }
}
