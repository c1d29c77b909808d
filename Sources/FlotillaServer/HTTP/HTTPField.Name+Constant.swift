import HTTPTypes

extension HTTPField.Name {
    /// A header name spelled out in the code: a valid token by construction, so one that does not parse is a bug.
    init(constant name: String) {
        guard let parsed = HTTPField.Name(name) else { preconditionFailure("\(name) is not a valid HTTP field name") }
        self = parsed
    }
}
