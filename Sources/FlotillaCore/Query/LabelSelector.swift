import Foundation

/// A label selector as surface D's `label` query takes it: comma-separated requirements, each `k=v`
/// (equal), `k!=v` (absent or different), `k` (present) or `!k` (absent). Every requirement must hold.
public struct LabelSelector: Sendable, Equatable {
    public enum Requirement: Sendable, Equatable {
        case equals(String, String)
        case notEquals(String, String)
        case exists(String)
        case absent(String)
    }

    public var requirements: [Requirement]

    public init(_ requirements: [Requirement] = []) { self.requirements = requirements }

    /// Parses a selector; nil or empty selects everything. Throws VALIDATION_ERROR naming `field`.
    public static func parse(_ raw: String?, field: String = "label") throws(FlotillaError) -> LabelSelector {
        guard let raw, !raw.isEmpty else { return LabelSelector() }
        var result: [Requirement] = []
        for part in raw.split(separator: ",", omittingEmptySubsequences: false) {
            let text = part.trimmingCharacters(in: .whitespaces)
            if let range = text.range(of: "!=") {
                let key = String(text[..<range.lowerBound])
                try check(key, raw, field)
                result.append(.notEquals(key, String(text[range.upperBound...])))
            } else if let eq = text.firstIndex(of: "=") {
                let key = String(text[..<eq])
                try check(key, raw, field)
                result.append(.equals(key, String(text[text.index(after: eq)...])))
            } else if text.hasPrefix("!") {
                let key = String(text.dropFirst())
                try check(key, raw, field)
                result.append(.absent(key))
            } else {
                try check(text, raw, field)
                result.append(.exists(text))
            }
        }
        return LabelSelector(result)
    }

    private static func check(_ key: String, _ raw: String, _ field: String) throws(FlotillaError) {
        guard !key.isEmpty, !key.contains(where: { $0 == "!" || $0 == "=" || $0 == " " }) else {
            throw FlotillaError(
                .validationError, "\(field) must look like k=v,k2!=v2,k3,!k4 (got \(raw))",
                details: ["field": .string(field), "value": .string(raw)])
        }
    }

    /// Whether `labels` satisfy every requirement.
    public func matches(_ labels: [String: String]) -> Bool {
        requirements.allSatisfy { r in
            switch r {
            case .equals(let k, let v): return labels[k] == v
            case .notEquals(let k, let v): return labels[k] != v
            case .exists(let k): return labels[k] != nil
            case .absent(let k): return labels[k] == nil
            }
        }
    }
}
