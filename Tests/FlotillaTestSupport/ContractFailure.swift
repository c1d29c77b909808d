/// A contract step that could not complete, such as a wait that passed its deadline.
public struct ContractFailure: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}
