/// A file of the store's tools (an export, a backup copy) that could not be read or written, in words: which
/// file and why.
public struct StoreFileError: Error, Equatable, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}
