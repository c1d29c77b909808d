/// The `FLOTILLA_<NAME>` variables of a process environment, which `flotilla serve`'s options fall back to; an
/// empty variable counts as unset.
public struct ServeEnvironment: Sendable {
    let values: [String: String]

    public init(_ values: [String: String]) { self.values = values }

    /// `FLOTILLA_<name>`, nil when unset or empty.
    public subscript(name: String) -> String? { values["FLOTILLA_" + name].flatMap { $0.isEmpty ? nil : $0 } }

    /// `FLOTILLA_<name>` as a number; a value that is not one is a usage error.
    func number<T: LosslessStringConvertible>(_ name: String) throws(HostError) -> T? {
        guard let raw = self[name] else { return nil }
        guard let value = T(raw) else { throw .usage("FLOTILLA_\(name) must be a number, got \(raw)") }
        return value
    }
}
