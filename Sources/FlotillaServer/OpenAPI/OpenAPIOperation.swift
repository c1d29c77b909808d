import FlotillaCore

/// One documented operation of `/openapi.json`. Written by hand, route by route (`OpenAPIOperation+<Surface>.swift`):
/// the contract tests compare them with the ``RouteTable`` so that a route without an operation fails.
struct OpenAPIOperation: Sendable {
    enum Access: Sendable {
        case open
        case key(Permission)
        case cluster
    }

    /// The request body: a schema of `components.schemas`, and whether it may be left out.
    struct Body: Sendable {
        var schema: String
        var required = true
    }

    var method: String
    /// Hummingbird's pattern (`:id`), turned into `{id}` in the document.
    var path: String
    var summary: String
    var access: Access
    /// Every 2xx status the route sends, with the schema of its body (a name of `components.schemas`).
    var success: [Int: String]
    var query: [OpenAPIParameter] = []
    var body: Body? = nil
    /// Error statuses beyond those ``OpenAPIResponses`` gives every operation of its kind.
    var errors: Set<Int> = []
    /// A create that takes an `Idempotency-Key` header (a replay answers 200).
    var idempotent = false
    /// Schemas of path parameters narrower than a non-empty string.
    var pathSchemas: [String: JSONValue] = [:]

    static let all: [OpenAPIOperation] =
        compute + keys + vms + catalog + workers + global + networks + snapshots + logs + metrics + flintlock + other
        + migration

    /// The path parameters of the pattern.
    var pathParameters: [String] {
        path.split(separator: "/").filter { $0.hasPrefix(":") }.map { String($0.dropFirst()) }
    }

    var isMutating: Bool { method != "get" }

    var surface: Surface { Surface.of(path: path) }
}

/// A typed query parameter: the schema says what the route accepts (the rest is 400, or 422 on surface C).
struct OpenAPIParameter: Sendable {
    var name: String
    var schema: JSONValue
    var description: String? = nil

    static func boolean(_ name: String, _ description: String? = nil) -> OpenAPIParameter {
        .init(name: name, schema: OpenAPISchemas.boolean, description: description)
    }

    static func integer(_ name: String, _ range: ClosedRange<Int64>, _ description: String? = nil) -> OpenAPIParameter {
        .init(name: name, schema: OpenAPISchemas.integer(range), description: description)
    }

    static func string(_ name: String, _ description: String? = nil, maxLength: Int64? = nil) -> OpenAPIParameter {
        .init(name: name, schema: OpenAPISchemas.string(maxLength: maxLength), description: description)
    }

    static func choice(_ name: String, _ values: [String], _ description: String? = nil) -> OpenAPIParameter {
        .init(name: name, schema: OpenAPISchemas.oneOf(values), description: description)
    }

    /// `timeout` of the synchronous actions: seconds to wait for the end state.
    static let timeout = integer("timeout", 0...3600, "Seconds to wait for the end state (then 202)")
}
