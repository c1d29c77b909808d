import FlotillaCore

/// The responses of one operation: its 2xx statuses with their bodies, and every error status the route can send,
/// each with the error body of the operation's surface (`Surface.response(for:)`). No `default`: a status that is
/// not listed here is a contract failure.
enum OpenAPIResponses {
    /// The error statuses `op` can answer.
    ///
    /// - 400 (422 on surface C): a query, path or body value the route refuses; a GET's `min_revision`.
    /// - 401 without a valid credential; 403 for a key whose role is too weak (any key may read), or a client key on
    ///   an internal route.
    /// - 429 for a key past its role's rate limit (ADR 0019), with `Retry-After`.
    /// - 404 for a path naming nothing; 409 for a write the current state refuses (state, name, capacity, in use).
    /// - 413 for a body past the limit; 503 for a write the store or the backend cannot take now.
    /// - 504 for a GET whose `min_revision` this host did not reach in time.
    static func errorStatuses(_ op: OpenAPIOperation) -> Set<Int> {
        var statuses: Set<Int> = [validationStatus(op.surface)]
        switch op.access {
        case .open: break
        case .key(let permission):
            statuses.formUnion([401, 429])
            if permission != .read { statuses.insert(403) }
        case .cluster: statuses.formUnion([401, 403])
        }
        if !op.pathParameters.isEmpty { statuses.insert(404) }
        if op.isMutating { statuses.formUnion([409, 503]) }
        if op.body != nil { statuses.insert(413) }
        if op.method == "get" { statuses.insert(504) }
        return statuses.union(op.errors)
    }

    /// The status of a refused value on a surface.
    static func validationStatus(_ surface: Surface) -> Int { surface == .vms ? 422 : 400 }

    /// The body schema of an error status on `op`'s surface.
    static func errorSchema(_ op: OpenAPIOperation, status: Int) -> JSONValue {
        if op.path == "/health" && status == 503 { return OpenAPISchemas.ref("Health") }
        if op.path == "/api/v2/vm/:id/status" && status == 503 {
            return .object(["anyOf": .array([OpenAPISchemas.ref("HostUnreachable"), OpenAPISchemas.ref("ErrorA")])])
        }
        switch op.surface {
        case .compute: return OpenAPISchemas.ref("ErrorA")
        case .workers: return OpenAPISchemas.ref("ErrorB")
        case .flintlock: return OpenAPISchemas.ref("ErrorE")
        case .vms:
            switch status {
            case 422: return OpenAPISchemas.ref("ValidationErrorC")
            case 401, 403: return OpenAPISchemas.ref("AuthErrorC")
            default: return OpenAPISchemas.ref("ErrorC")
            }
        }
    }

    /// The `responses` object of `op`.
    static func build(_ op: OpenAPIOperation) -> JSONValue {
        var responses: [String: JSONValue] = [:]
        let revision: JSONValue = .object([
            "X-Flotilla-Revision": .object([
                "description": "The store revision this host had applied when it answered",
                "schema": .object(["type": "integer", "minimum": 0]),
            ])
        ])
        for (status, schema) in op.success {
            // An event stream's schema describes each event (OpenAPI 3.1): its `data` line holds the JSON of `schema`.
            let content: JSONValue =
                op.path == "/api/v2/events"
                ? .object(["text/event-stream": .object(["schema": OpenAPISchemas.serverSentEvent(schema)])])
                : op.path == LogsRoute.path || op.path == MetricsRoute.path  // A log is text (ADR 0024), metrics too (ADR 0021).
                    ? .object(["text/plain": .object(["schema": OpenAPISchemas.ref(schema)])])
                    : op.path == SnapshotExportRoute.pattern  // A snapshot's export is bytes (ADR 0028).
                        ? .object(["application/octet-stream": .object(["schema": OpenAPISchemas.ref(schema)])])
                        : .object(["application/json": .object(["schema": OpenAPISchemas.ref(schema)])])
            responses[String(status)] = .object([
                "description": successDescription(status), "headers": revision, "content": content,
            ])
        }
        for status in errorStatuses(op) {
            var response: [String: JSONValue] = [
                "description": errorDescription(status),
                "content": .object(["application/json": .object(["schema": errorSchema(op, status: status)])]),
            ]
            // A 401 does not tell the revision (ADR 0012).
            if status != 401 { response["headers"] = revision }
            if status == 429, case .object(var headers)? = response["headers"] {
                headers["Retry-After"] = .object([
                    "description": "Whole seconds until the key has a token again (ADR 0019)",
                    "schema": .object(["type": "integer", "minimum": 1]),
                ])
                response["headers"] = .object(headers)
            }
            responses[String(status)] = .object(response)
        }
        return .object(responses)
    }

    static func successDescription(_ status: Int) -> JSONValue {
        switch status {
        case 201: return "Created, and settled"
        case 202: return "Accepted: under way"
        default: return "Done"
        }
    }

    static func errorDescription(_ status: Int) -> JSONValue {
        switch status {
        case 400: return "A query, path or body value the route refuses"
        case 401: return "No valid credential"
        case 403: return "The credential's role may not do this"
        case 404: return "Not found"
        case 409: return "The current state refuses it (state, name, capacity or use)"
        case 410: return "The revision asked for is compacted"
        case 413: return "The body is larger than the limit"
        case 422: return "Validation failed: every bad field is listed"
        case 429: return "Too many requests for this key (its role's rate limit), or resources exhausted"
        case 502: return "The backend failed"
        case 503: return "The store, the backend or the owning host is unavailable"
        case 504: return "This host did not reach min_revision in time"
        default: return "Error"
        }
    }
}
