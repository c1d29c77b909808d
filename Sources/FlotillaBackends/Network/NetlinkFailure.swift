import Glibc

/// A failed system call or kernel answer inside ``NetlinkHostLinks``: the errno, and the kernel's own words
/// when it gave some (extended ack). ``reason`` is what a ``HostLinkError`` shows.
struct NetlinkFailure: Error, Equatable, Sendable {
    var code: Int32
    var detail: String?

    init(code: Int32, detail: String? = nil) {
        self.code = code
        self.detail = detail
    }

    /// The current `errno`, with what was being done when it is not the kernel's answer.
    static func lastError(_ detail: String? = nil) -> NetlinkFailure { NetlinkFailure(code: errno, detail: detail) }

    /// `strerror` text, then the detail: "File exists", "Operation not supported (Unknown device type)".
    var reason: String {
        let text = String(cString: strerror(code))
        return detail.map { "\(text) (\($0))" } ?? text
    }
}
