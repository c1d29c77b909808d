/// What a lifecycle command acts on: the client options and the subject as the user named it (``InstanceTarget``,
/// ``VMTarget``).
protocol ActionTarget {
    var client: ClientOptions { get }
    /// The id or the name the user typed.
    var reference: String { get }
}
