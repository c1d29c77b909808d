import FlotillaAPI
import FlotillaCore

extension OpenAPISchemas {
    /// The error bodies, as `Surface.response(for:)` writes them.
    static let errors: [String: JSONValue] = [
        // Surface A, keys, `/health`, `/openapi.json`, surface D and the internal routes (Compute.ErrorBody).
        "ErrorA": object([
            "error": object(
                ["code": oneOf(FlotillaError.Code.allCases.map(\.rawValue)), "message": string], optional: ["details": map(any)])
        ]),
        // Surface C: every error but validation and authentication (VMs.ErrorBody).
        "ErrorC": object(["error": string, "message": string, "details": map(any), "timestamp": dateTime]),
        // Surface C's 422, shaped like FastAPI's (VMs.ValidationErrorBody).
        "ValidationErrorC": object([
            "detail": array(
                object([
                    "type": string, "loc": array(.object(["type": .array(["string", "integer"])])), "msg": string, "input": any,
                ]))
        ]),
        // Surface C's 401 and 403 (VMs.AuthErrorBody).
        "AuthErrorC": object([
            "detail": object([
                "error": oneOf([VMs.ErrorName.authentication, .authorization].map(\.rawValue)), "message": string, "details": string,
            ])
        ]),
        // Surface B (Workers.ErrorBody): the status text, a message, the status number.
        "ErrorB": object(["error": string, "message": string, "code": integer]),
        // Surface E's gateway (grpc-gateway's body): the gRPC code, a message, no details.
        "ErrorE": object(["code": integer(0...16), "message": string, "details": array(any)]),
        // Surface D's 503 when the host that runs the instance does not answer (Global.UnreachableBody).
        "HostUnreachable": object([
            "error": object(["code": oneOf([FlotillaError.Code.hostUnreachable.rawValue]), "message": string, "details": stringMap]),
            "last_known": ref("GlobalVM"),
        ]),
    ]
}
