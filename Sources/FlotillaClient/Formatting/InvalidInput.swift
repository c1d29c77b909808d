/// A value typed by a user that cannot be used, with a message saying why.
public struct InvalidInput: Error, Sendable, Equatable, CustomStringConvertible {
    public var message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}
