import FlotillaAPI
import Foundation

extension OutputFormatter {
    /// The key list with each key's lifecycle (ADR 0019): ID, NAME, ROLE, FINGERPRINT, CREATED, EXPIRES (`never`,
    /// a time, or `expired <time>`), LAST USED (`-`: never seen). Never a part of a secret.
    public static func keyLifecycles(_ list: Keys.List) -> String {
        if list.keys.isEmpty { return "No API keys.\n" }
        return TableRenderer(
            headers: ["ID", "NAME", "ROLE", "FINGERPRINT", "CREATED", "EXPIRES", "LAST USED"],
            rows: list.keys.map { key in
                let expires = key.expiresAt.map { (key.expired ? "expired " : "") + timestamp($0) } ?? "never"
                return [
                    key.id, key.name, key.role, key.fingerprint, timestamp(key.createdAt), expires,
                    key.lastUsedAt.map(timestamp) ?? "-",
                ]
            }
        ).render()
    }

    /// A rotation: the new key with its secret (shown once), then when the old key stops working.
    public static func keyRotated(_ rotated: Keys.Rotated) -> String {
        let old = rotated.rotated
        let until = old.expiresAt.map { old.expired ? "it has stopped working" : "it keeps working until \(timestamp($0))" } ?? ""
        return keyCreated(rotated.key) + "Rotated from '\(old.name)' (id \(old.id)): \(until).\n"
    }
}
