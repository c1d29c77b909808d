public import Foundation

/// The rules of key expiry and rotation (ADR 0019). Pure: the caller passes the time.
public enum KeyExpiry {
    /// The furthest a new key's expiry may be: 5 years (a key that should never expire takes none).
    public static let maximumLifetime: TimeInterval = 5 * 366 * 86_400
    /// How long a rotated key keeps working when the rotation does not say.
    public static let defaultGrace: TimeInterval = 3600
    /// The longest grace a rotation may give the old key: 30 days.
    public static let maximumGrace: TimeInterval = 30 * 86_400

    /// Whether `record` has expired at `now` (at its `expiresAt` exactly, it has).
    public static func isExpired(_ record: APIKeyRecord, now: Date) -> Bool {
        guard let expiresAt = record.expiresAt else { return false }
        return now >= expiresAt
    }

    /// The expiry a new key may have: none, or a time after `now` and at most ``maximumLifetime`` later.
    public static func validate(expiresAt: Date?, now: Date) throws(FlotillaError) -> Date? {
        guard let expiresAt else { return nil }
        guard expiresAt > now else {
            throw FlotillaError.validation("expiresAt must be in the future", field: "expiresAt")
        }
        guard expiresAt.timeIntervalSince(now) <= maximumLifetime else {
            throw FlotillaError.validation("expiresAt must be at most 5 years ahead", field: "expiresAt")
        }
        return expiresAt
    }

    /// The grace a rotation asked for (nil: the default), checked: 0 (the old key stops at once) up to
    /// ``maximumGrace`` seconds.
    public static func validate(grace: Int?) throws(FlotillaError) -> TimeInterval {
        guard let grace else { return defaultGrace }
        guard grace >= 0, TimeInterval(grace) <= maximumGrace else {
            throw FlotillaError.validation("grace must be 0 to \(Int(maximumGrace)) seconds", field: "grace")
        }
        return TimeInterval(grace)
    }

    /// The rotated key's new expiry: `now + grace`, unless it already expires sooner.
    public static func rotatedExpiry(of record: APIKeyRecord, grace: TimeInterval, now: Date) -> Date {
        let end = now.addingTimeInterval(grace)
        guard let current = record.expiresAt else { return end }
        return min(current, end)
    }
}
