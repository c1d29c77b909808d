public import Foundation

/// An instance's place in every listing: its creation millisecond, then its id. The store keeps times to the
/// millisecond, so this is creation order; `PageCursor` names a position in it.
public struct CreationKey: Comparable, Hashable, Sendable {
    public let millis: Int64
    public let id: String

    public init(millis: Int64, id: String) {
        self.millis = millis
        self.id = id
    }

    public init(_ instance: Instance) {
        self.init(millis: Self.millis(instance.createdAt), id: instance.id)
    }

    public static func millis(_ date: Date) -> Int64 { Int64((date.timeIntervalSince1970 * 1000).rounded(.down)) }

    public static func < (a: CreationKey, b: CreationKey) -> Bool { (a.millis, a.id) < (b.millis, b.id) }
}
