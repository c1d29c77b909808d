import FlotillaCore
import Foundation
import Logging

extension InstanceService {
    /// Renames an instance and/or changes its free-form metadata (nil values remove a key). The name stays
    /// unique: the old reservation is released and the new one taken in the same transaction (409 when taken).
    /// Neither change touches what runs, so the spec generation is not bumped.
    public func edit(id rawId: String, name newName: String?, metadata changes: [String: String?] = [:])
        async throws(FlotillaError) -> Written
    {
        if let newName { try InstanceValidation.validateName(newName) }
        let id = rawId.lowercased()
        let key = StoreKeys.instance(id)
        for _ in 0..<32 {
            var (kv, instance) = try await readLive(key, id: rawId)
            let oldName = instance.name
            for (k, v) in changes { instance.spec.metadata[k] = v }
            var compares = [Compare.unchanged(key, since: kv.modRevision)]
            var then: [TxnOp] = []
            let renamed = newName.map { $0 != oldName } ?? false
            if let newName, renamed {
                instance.name = newName
                compares.append(.absent(StoreKeys.name(newName)))
                then.append(.delete(key: StoreKeys.name(oldName)))
                then.append(.put(StoreKeys.name(newName), Data(id.utf8)))
            }
            instance.updatedAt = clock.now
            then.append(.put(key, try encode(instance)))
            let result = try await txn(compares, then: then)
            if result.succeeded {
                if renamed { logger.info("instance renamed", metadata: ["id": "\(id)", "from": "\(oldName)", "to": "\(instance.name)"]) }
                return await visible(Written(instance: instance, revision: result.revision))
            }
            if let newName, renamed {
                let holder: KeyValue?
                do { holder = try await store.get(StoreKeys.name(newName)) } catch { throw storeError(error) }
                if let holder, String(decoding: holder.value, as: UTF8.self) != id {
                    throw FlotillaError(
                        .nameConflict, "An instance named \(newName) already exists", details: ["name": .string(newName)])
                }
            }
        }
        throw FlotillaError(.storeUnavailable, "Too many concurrent changes to instance \(rawId); try again")
    }
}
