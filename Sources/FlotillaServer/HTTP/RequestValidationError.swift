import FlotillaAPI
import FlotillaCore

/// A request that failed one or more field checks, kept structured (where, what kind, which input) so that a
/// surface with structured validation bodies (surface C's 422) can show every failure. Other surfaces answer
/// it as the equivalent ``FlotillaError``.
struct RequestValidationError: Error, Sendable, Equatable {
    var issues: [VMs.ValidationIssue]

    init(_ issues: [VMs.ValidationIssue]) { self.issues = issues }

    init(type: VMs.IssueType, loc: [JSONValue], msg: String, input: JSONValue = .null) {
        self.issues = [VMs.ValidationIssue(type: type, loc: loc, msg: msg, input: input)]
    }

    /// A required field (or the whole body, at `["body"]`) that is not there.
    static func missing(at loc: [JSONValue]) -> RequestValidationError {
        RequestValidationError(type: .missing, loc: loc, msg: VMs.IssueType.fieldRequired)
    }

    /// The first failure as a VALIDATION_ERROR, its field as a dotted path without the location prefix.
    var flotillaError: FlotillaError {
        guard let first = issues.first else { return .validation("Invalid request") }
        let path = first.loc.dropFirst().map { v -> String in
            switch v {
            case .string(let s): return s
            case .int(let i): return String(i)
            default: return ""
            }
        }
        let field = path.joined(separator: ".")
        return .validation(field.isEmpty ? first.msg : "\(field): \(first.msg)", field: field.isEmpty ? nil : field)
    }

    /// A VALIDATION_ERROR raised elsewhere (the shared validation of the core), as one issue.
    static func issue(from error: FlotillaError) -> VMs.ValidationIssue {
        let field = error.details["field"]?.stringValue
        let parts: [JSONValue] = field.map { $0.split(separator: ".").map { .string(String($0)) } } ?? []
        let location: JSONValue = error.details["location"] ?? "body"
        return VMs.ValidationIssue(type: .valueError, loc: [location] + parts, msg: error.message, input: .null)
    }
}
