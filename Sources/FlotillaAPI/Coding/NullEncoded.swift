/// An optional field that is always written: `"field": null` when nil, never left out.
///
/// For the wire types whose surface lists every field, known or not (`@NullEncoded public var zone: String?`).
/// The containing type keeps its synthesized `Codable`, so a field added to it is encoded like the others;
/// synthesized encoding writes a non-optional property (this wrapper) under its key every time, and the wrapper
/// writes `null` for nil. Decoding is that of a plain optional: a missing key or `null` is nil (the
/// `KeyedDecodingContainer` overload below).
@propertyWrapper
public struct NullEncoded<Value: Codable>: Codable {
    public var wrappedValue: Value?

    public init(wrappedValue: Value?) { self.wrappedValue = wrappedValue }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        wrappedValue = container.decodeNil() ? nil : try container.decode(Value.self)
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        if let wrappedValue {
            try container.encode(wrappedValue)
        } else {
            try container.encodeNil()
        }
    }
}

extension NullEncoded: Sendable where Value: Sendable {}
extension NullEncoded: Equatable where Value: Equatable {}
extension NullEncoded: Hashable where Value: Hashable {}

extension KeyedDecodingContainer {
    /// A missing key decodes to nil, as for a plain optional (synthesized decoding asks for this non-optional type
    /// with `decode`, which would otherwise throw `keyNotFound`).
    public func decode<Value>(_ type: NullEncoded<Value>.Type, forKey key: Key) throws -> NullEncoded<Value> {
        NullEncoded(wrappedValue: try decodeIfPresent(Value.self, forKey: key))
    }
}
