/// What a log line written while serving a request must name: the request's id (ADR 0018), bound to the task
/// that serves the request (and every child task) by ``EdgeMiddleware``. The serve bootstrap's log metadata
/// provider adds it as `requestId` to every line, whichever component's logger writes it (ADR 0022).
public enum RequestScope {
    /// The id of the request the current task serves; nil outside a request.
    @TaskLocal public static var requestId: String?
}
