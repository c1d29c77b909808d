import FlotillaAPI
import FlotillaCore
import Foundation
import NIOCore
import NIOFoundationCompat

/// Surface C's error bodies, which differ from surface A's, mapped to ``FlotillaClientError/api(status:code:message:details:)``.
extension FlotillaClient {
    /// The code given to a 422 answer, whose body (`{"detail":[...]}`) carries no code of its own.
    public static let validationErrorCode = "VALIDATION_ERROR"

    /// The error for a surface C error body, or `nil` when `body` is none of its three shapes:
    /// - `{"error":"CODE","message","details","timestamp"}`: code, message and details as given;
    /// - 422 `{"detail":[{"type","loc","msg","input"}]}`: ``validationErrorCode`` and a message listing every issue
    ///   (``validationMessage(_:)``);
    /// - 401/403 `{"detail":{"error","message","details"}}`: the inner code and message, the text `details` under
    ///   the key `reason`.
    static func vmSurfaceError(status: Int, body: ByteBuffer) -> FlotillaClientError? {
        let decoder = WireJSON.decoder()
        if let plain = try? decoder.decode(PlainErrorBody.self, from: body) {
            return .api(status: status, code: plain.error, message: plain.message, details: plain.details)
        }
        if let validation = try? decoder.decode(VMs.ValidationErrorBody.self, from: body) {
            return .api(
                status: status, code: validationErrorCode, message: validationMessage(validation.detail), details: nil)
        }
        if let auth = try? decoder.decode(AuthErrorBody.self, from: body) {
            let reason = auth.detail.details.flatMap { $0.isEmpty ? nil : ["reason": JSONValue.string($0)] }
            return .api(status: status, code: auth.detail.error, message: auth.detail.message, details: reason)
        }
        return nil
    }

    /// One line for a 422's issues: `invalid request: flavor_id: Field required; query.page_size: ...`.
    /// A body field is named without its leading `body`; other locations (`query`, `path`) keep theirs.
    public static func validationMessage(_ issues: [VMs.ValidationIssue]) -> String {
        guard !issues.isEmpty else { return "invalid request" }
        let parts = issues.map { issue -> String in
            var loc = issue.loc
            if loc.count > 1, loc.first == .string("body") { loc.removeFirst() }
            let path = loc.reduce(into: "") { text, element in
                switch element {
                case .int(let index): text += "[\(index)]"
                case .string(let key): text += text.isEmpty ? key : ".\(key)"
                default: text += text.isEmpty ? "\(element)" : ".\(element)"
                }
            }
            return path.isEmpty || path == "body" ? issue.msg : "\(path): \(issue.msg)"
        }
        return "invalid request: " + parts.joined(separator: "; ")
    }

    /// `{"error":"CODE","message","details","timestamp"}`, read leniently (no timestamp needed).
    private struct PlainErrorBody: Decodable {
        var error: String
        var message: String
        var details: [String: JSONValue]?
    }

    /// `{"detail":{"error","message","details"}}`, read leniently.
    private struct AuthErrorBody: Decodable {
        struct Detail: Decodable {
            var error: String
            var message: String
            var details: String?
        }
        var detail: Detail
    }
}
