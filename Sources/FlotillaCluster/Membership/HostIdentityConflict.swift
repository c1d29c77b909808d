/// Another host heartbeats under this host's worker id: registering would overwrite its record.
public struct HostIdentityConflict: Error, Sendable, Equatable, CustomStringConvertible {
    public var workerId: String
    /// The address the other host registered, when known.
    public var address: String?

    public init(workerId: String, address: String?) {
        self.workerId = workerId
        self.address = address
    }

    public var description: String {
        let at = address.map { " at \($0)" } ?? ""
        return
            "host id \(workerId) is already in use by another live host\(at); start this one with --host-id ID "
            + "(env FLOTILLA_HOST_ID) to choose another, or stop the other one first"
    }
}
