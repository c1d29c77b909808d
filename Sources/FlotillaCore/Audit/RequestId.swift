/// Request ids (ADR 0018): every HTTP response carries one as `X-Request-Id` (gRPC answers: `x-request-id`
/// metadata), and the audit trail and log lines name the request by it. A client's own id is kept when it is short
/// and safe, else replaced.
public enum RequestId {
    /// The longest client id kept.
    public static let maxLength = 64

    /// A new id: a ULID, so ids sort by the time they were made.
    public static func make() -> String { ULID().description }

    /// `incoming` when it is 1 to 64 characters of `[A-Za-z0-9._-]`, else a new id.
    public static func resolve(_ incoming: String?) -> String {
        guard let incoming, isSafe(incoming) else { return make() }
        return incoming
    }

    /// Whether a client's id may be kept as it is.
    public static func isSafe(_ text: String) -> Bool {
        !text.isEmpty && text.utf8.count <= maxLength
            && text.utf8.allSatisfy { c in
                (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5A) || (c >= 0x61 && c <= 0x7A) || c == 0x2E || c == 0x5F
                    || c == 0x2D
            }
    }
}
