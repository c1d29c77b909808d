import FlotillaCore

/// `--network NAME[=ADDRESS]`: an interface on the Flotilla network NAME, with a fixed IPv4 address when one is
/// given (docs/decisions/0025-vm-networks.md).
public enum NetworkArgument {
    public static let usage = "expected NAME or NAME=ADDRESS, e.g. vmnet or vmnet=10.77.0.10"

    /// Parses one `--network` value.
    ///
    /// - Throws: ``InvalidInput`` naming the value and what is wrong with it.
    public static func parse(_ text: String) throws(InvalidInput) -> NetworkInterface {
        let name: Substring
        var address: IPv4Address?
        if let equals = text.firstIndex(of: "=") {
            name = text[..<equals]
            let rawAddress = text[text.index(after: equals)...]
            guard let parsed = IPv4Address(rawAddress) else {
                throw InvalidInput("invalid --network '\(text)': '\(rawAddress)' is not an IPv4 address: \(usage)")
            }
            address = parsed
        } else {
            name = Substring(text)
        }
        guard NetworkDefinition.isValidName(String(name)) else {
            throw InvalidInput(
                "invalid --network '\(text)': the network name must be 1-\(NetworkDefinition.maxNameBytes) lowercase "
                    + "letters, digits or '-', starting with a letter: \(usage)")
        }
        return NetworkInterface(network: String(name), address: address)
    }
}
