import FlotillaCore
import Foundation

/// The API key a Flintlock client sends: `authorization: basic <base64 of the key>` (how Flintlock's clients
/// send their token), `authorization: bearer <key>`, or `x-api-key: <key>` as on every other surface.
public enum FlintlockCredential {
    /// The key in an `authorization` value, or nil when there is none or it is malformed.
    public static func secret(authorization: String?, apiKey: String? = nil) -> String? {
        if let apiKey, !apiKey.isEmpty { return apiKey }
        guard let authorization else { return nil }
        let parts = authorization.split(separator: " ", maxSplits: 1)
        guard parts.count == 2 else { return nil }
        let value = parts[1].trimmingCharacters(in: .whitespaces)
        switch parts[0].lowercased() {
        case "bearer":
            return value.isEmpty ? nil : value
        case "basic":
            guard let data = Data(base64Encoded: value), let token = String(data: data, encoding: .utf8), !token.isEmpty else {
                return nil
            }
            return token
        default:
            return nil
        }
    }
}

/// Checks a key (nil when the caller sent none) for a permission: UNAUTHORIZED for a missing or unknown key,
/// FORBIDDEN for a weaker role. The host passes the HTTP surfaces' authenticator.
public typealias FlintlockAuthorizer = @Sendable (_ secret: String?, _ permission: Permission) throws -> Void
