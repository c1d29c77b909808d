import Foundation

/// What a user typed to name an instance: its id (a UUID) or its name.
public enum InstanceReference: Sendable, Equatable {
    /// A UUID, lowercased as the API writes ids.
    case id(String)
    case name(String)

    /// A UUID (any case) is an id; anything else is a name.
    public init(_ text: String) {
        if let uuid = UUID(uuidString: text) {
            self = .id(uuid.uuidString.lowercased())
        } else {
            self = .name(text)
        }
    }
}
