import Foundation
import SwiftProtobuf

/// The gateway's JSON, as grpc-gateway writes it with `EmitUnpopulated`: protobuf's JSON mapping
/// (lowerCamelCase names, enum names) with every field present. SwiftProtobuf leaves zero-valued fields out,
/// so the encoded object is completed from the `.proto` descriptors: zero scalars, the first enum name, `[]`,
/// `{}`, and `null` for unset messages and `optional` fields.
public enum FlintlockJSON {
    typealias Field = Google_Protobuf_FieldDescriptorProto

    struct Schema {
        var messages: [String: Google_Protobuf_DescriptorProto] = [:]
        var enums: [String: Google_Protobuf_EnumDescriptorProto] = [:]

        mutating func add(_ m: Google_Protobuf_DescriptorProto, scope: String) {
            let name = scope + "." + m.name
            messages[name] = m
            for nested in m.nestedType { add(nested, scope: name) }
            for e in m.enumType { enums[name + "." + e.name] = e }
        }
    }

    static let schema: Schema = {
        var schema = Schema()
        guard let data = Data(base64Encoded: FlintlockDescriptors.fileDescriptorSet),
            let set = try? Google_Protobuf_FileDescriptorSet(serializedBytes: data)
        else { return schema }
        for file in set.file {
            let scope = file.package.isEmpty ? "" : "." + file.package
            for m in file.messageType { schema.add(m, scope: scope) }
            for e in file.enumType { schema.enums[scope + "." + e.name] = e }
        }
        return schema
    }()

    /// `message` as JSON with every field present.
    public static func encode(_ message: some SwiftProtobuf.Message) throws -> Data {
        let data = try message.jsonUTF8Data(options: FlintlockMapping.jsonEncoding)
        let object = try JSONSerialization.jsonObject(with: data)
        let full = completed(object, type: "." + type(of: message).protoMessageName)
        return try JSONSerialization.data(withJSONObject: full, options: [.withoutEscapingSlashes])
    }

    /// `value` (an object of message `type`) with its missing fields added, recursively.
    static func completed(_ value: Any, type: String) -> Any {
        guard let message = schema.messages[type], var object = value as? [String: Any] else { return value }
        for field in message.field {
            let name = field.hasJsonName ? field.jsonName : field.name
            guard let present = object[name] else {
                object[name] = zero(field)
                continue
            }
            guard field.type == .message, let child = schema.messages[field.typeName] else { continue }
            if child.options.mapEntry {
                guard let valueField = child.field.first(where: { $0.number == 2 }), valueField.type == .message,
                    let map = present as? [String: Any]
                else { continue }
                object[name] = map.mapValues { completed($0, type: valueField.typeName) }
            } else if field.label == .repeated, let list = present as? [Any] {
                object[name] = list.map { completed($0, type: field.typeName) }
            } else {
                object[name] = completed(present, type: field.typeName)
            }
        }
        return object
    }

    static func zero(_ field: Field) -> Any {
        if field.type == .message, schema.messages[field.typeName]?.options.mapEntry == true { return [String: Any]() }
        if field.label == .repeated { return [Any]() }
        if field.proto3Optional || field.type == .message || field.type == .group { return NSNull() }
        switch field.type {
        case .enum: return schema.enums[field.typeName]?.value.first?.name ?? 0
        case .string, .bytes: return ""
        case .bool: return false
        case .int64, .uint64, .sint64, .fixed64, .sfixed64: return "0"
        default: return 0
        }
    }
}
