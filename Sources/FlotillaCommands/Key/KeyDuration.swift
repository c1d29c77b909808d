import FlotillaCore
import Foundation

/// The durations `key create --expires-in` and `key rotate --grace` take: `30d`, `12h`, `90m`, `3600s`
/// (the audit trail's form, ``AuditRetention/parseAge(_:)``).
enum KeyDuration {
    /// The seconds `text` says; nil when it is not such a duration. `0s` (and `0`) only when `allowZero`.
    static func seconds(_ text: String, allowZero: Bool = false) -> TimeInterval? {
        if allowZero, text == "0" || text == "0s" || text == "0m" || text == "0h" || text == "0d" { return 0 }
        return AuditRetention.parseAge(text)
    }
}
