public import Foundation

/// Decides the revocation of one API key among the stored ones (ADR 0014). Pure: the key service reads the
/// keys with their revisions, asks ``plan(_:among:revokedAt:)``, and commits the change in one transaction.
///
/// The last admin key is never revoked. The change is compared on the revision of the revoked key and of
/// every other admin key, so two revocations that each leave the other's key as the last admin cannot both
/// commit: the second one's compare fails, it reads again and is refused.
public enum KeyRevocation {
    /// One stored key: its store key, its record and its `modRevision`.
    public struct Stored: Sendable, Equatable {
        public var storeKey: String
        public var record: APIKeyRecord
        public var modRevision: Revision

        public init(storeKey: String, record: APIKeyRecord, modRevision: Revision) {
            self.storeKey = storeKey
            self.record = record
            self.modRevision = modRevision
        }
    }

    /// The message of the 409 for the last admin key.
    public static let lastAdminMessage = "The last admin key cannot be revoked: create another admin key first"

    /// The key `idOrName` names (an id first, then a name) and the writes that revoke it: delete its record,
    /// leave its tombstone. Throws `RESOURCE_NOT_FOUND` for no such key, `INVALID_STATE` (409) for the last
    /// admin key.
    public static func plan(_ idOrName: String, among stored: [Stored], revokedAt: Date) throws(FlotillaError) -> (
        record: APIKeyRecord, change: StoreChange
    ) {
        guard let target = stored.first(where: { $0.record.id == idOrName }) ?? stored.first(where: { $0.record.name == idOrName })
        else {
            throw FlotillaError(.resourceNotFound, "API key \(idOrName) not found", details: ["id": .string(idOrName)])
        }
        var compares: [Compare] = [.unchanged(target.storeKey, since: target.modRevision)]
        if target.record.role == .admin {
            let otherAdmins = stored.filter { $0.record.role == .admin && $0.storeKey != target.storeKey }
            guard !otherAdmins.isEmpty else {
                throw FlotillaError(.invalidState, lastAdminMessage, details: ["id": .string(target.record.id)])
            }
            compares += otherAdmins.map { .unchanged($0.storeKey, since: $0.modRevision) }
        }
        let tombstone = RevokedAPIKey(id: target.record.id, name: target.record.name, revokedAt: revokedAt)
        let ops: [TxnOp] = [
            .delete(key: target.storeKey),
            .put(RevokedAPIKey.storeKey(hash: target.record.secretHash), try encoded(tombstone)),
        ]
        return (target.record, StoreChange(compares: compares, ops: ops))
    }

    private static func encoded(_ tombstone: RevokedAPIKey) throws(FlotillaError) -> Data {
        do { return try StoreCodec.encode(tombstone) } catch {
            throw FlotillaError(.internalError, "could not encode a key's tombstone", cause: "\(error)")
        }
    }
}
