public import Foundation

/// Decides the rotation of one API key (ADR 0019). Pure: the key service reads the keys with their revisions,
/// makes a secret, asks ``plan(_:among:newSecretHash:newId:options:now:)`` and commits the change in one
/// transaction: the new key is stored with the old one's role, and the old key's `expiresAt` becomes
/// `now + grace` (or stays, if sooner), compared on the old record's revision, so two rotations of one key
/// cannot both commit.
public enum KeyRotation {
    /// What a rotation asks for, checked by ``plan(_:among:newSecretHash:newId:options:now:)``.
    public struct Options: Sendable, Equatable {
        /// Seconds the old key keeps working; nil: ``KeyExpiry/defaultGrace``.
        public var grace: Int?
        /// The new key's name; nil: the old one's with a rotation suffix (``successorName(of:taken:)``).
        public var name: String?
        /// The new key's expiry; nil: never.
        public var expiresAt: Date?
        public init(grace: Int? = nil, name: String? = nil, expiresAt: Date? = nil) {
            self.grace = grace
            self.name = name
            self.expiresAt = expiresAt
        }
    }

    /// The old key's record as rotated, the new key's record, and the writes.
    public struct Plan: Sendable, Equatable {
        public var rotated: APIKeyRecord
        public var created: APIKeyRecord
        public var change: StoreChange
    }

    /// The plan that rotates the key `idOrName` names (an id first, then a name). Throws `RESOURCE_NOT_FOUND` for
    /// no such key, `VALIDATION_ERROR` for a bad grace, name or expiry, `NAME_CONFLICT` for a name in use.
    public static func plan(
        _ idOrName: String, among stored: [KeyRevocation.Stored], newSecretHash: String, newId: String, options: Options, now: Date
    ) throws(FlotillaError) -> Plan {
        guard let target = stored.first(where: { $0.record.id == idOrName }) ?? stored.first(where: { $0.record.name == idOrName })
        else {
            throw FlotillaError(.resourceNotFound, "API key \(idOrName) not found", details: ["id": .string(idOrName)])
        }
        let grace = try KeyExpiry.validate(grace: options.grace)
        let expiresAt = try KeyExpiry.validate(expiresAt: options.expiresAt, now: now)
        let taken = Set(stored.map(\.record.name))
        let name: String
        if let given = options.name {
            name = try NameRule.check(given, kind: .key)
            guard !taken.contains(name) else {
                throw FlotillaError(.nameConflict, "An API key named \(name) already exists", details: ["name": .string(name)])
            }
        } else {
            name = successorName(of: target.record.name, taken: taken)
        }
        var rotated = target.record
        rotated.expiresAt = KeyExpiry.rotatedExpiry(of: target.record, grace: grace, now: now)
        rotated.rotatedTo = newId
        let created = APIKeyRecord(
            id: newId, name: name, role: target.record.role, secretHash: newSecretHash, createdAt: now, expiresAt: expiresAt,
            rotatedFrom: target.record.id)
        let newKey = StoreKeys.apiKey(hash: newSecretHash)
        let change = StoreChange(
            compares: [
                .unchanged(target.storeKey, since: target.modRevision), .absent(newKey),
                .absent(RevokedAPIKey.storeKey(hash: newSecretHash)),
            ],
            ops: [.put(target.storeKey, try encoded(rotated)), .put(newKey, try encoded(created))])
        return Plan(rotated: rotated, created: created, change: change)
    }

    /// The default name of a rotated key's successor: `NAME-r2`, then `-r3`, ... (`ci-r2` becomes `ci-r3`), the
    /// first not in `taken`, cut to fit the 63-byte limit of key names.
    public static func successorName(of name: String, taken: Set<String>) -> String {
        var base = name
        var next = 2
        if let dash = name.range(of: "-r", options: .backwards), let n = Int(name[dash.upperBound...]), n >= 2,
            name[dash.upperBound...].allSatisfy({ $0.isASCII && $0.isNumber })
        {
            base = String(name[..<dash.lowerBound])
            next = n + 1
        }
        while true {
            let suffix = "-r\(next)"
            var cut = base
            while cut.utf8.count + suffix.utf8.count > NameRule.Kind.key.maxBytes { cut.removeLast() }
            let candidate = cut.trimmingCharacters(in: .whitespaces) + suffix
            if !taken.contains(candidate) { return candidate }
            next += 1
        }
    }

    private static func encoded(_ record: APIKeyRecord) throws(FlotillaError) -> Data {
        do { return try StoreCodec.encode(record) } catch {
            throw FlotillaError(.internalError, "could not encode a key record", cause: "\(error)")
        }
    }
}
