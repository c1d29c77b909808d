/// A request body that could not be read to its end: the client closed the connection mid-upload, reset it, or
/// sent bytes that end the HTTP message early. Nothing went wrong on this host, so the edge logs it at debug
/// level (ADR 0012) and hands `cause` back to the HTTP server, which closes the connection.
struct AbandonedUpload: Error {
    /// What the server's body stream threw (NIO's parser or channel error).
    var cause: any Error
}
