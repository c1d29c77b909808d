import FlotillaCore
import Testing

@Suite("Where a host may listen without TLS")
struct ListenPolicyTests {
    @Test(
        "loopback addresses",
        arguments: [
            ("127.0.0.1", true), ("127.1.2.3", true), ("localhost", true), ("LOCALHOST", true), ("::1", true),
            ("[::1]", true), ("0.0.0.0", false), ("10.0.0.5", false), ("::", false), ("128.0.0.1", false),
            ("127.0.0", false), ("127.0.0.256", false), ("127.0.0.1.5", false), ("host.example", false), ("", false),
            ("127.0.0.+1", false),
        ])
    func loopback(host: String, expected: Bool) {
        #expect(ListenPolicy.isLoopback(host) == expected)
    }

    @Test("plain text off this machine is refused unless --insecure; TLS or loopback is secure")
    func verdicts() {
        let http = ListenPolicy.Listener(option: "--listen", host: "0.0.0.0")
        let grpc = ListenPolicy.Listener(option: "--grpc-listen", host: "127.0.0.1")
        #expect(ListenPolicy.verdict([grpc], tls: false, insecure: false) == .secure)
        #expect(ListenPolicy.verdict([http, grpc], tls: true, insecure: false) == .secure)
        #expect(ListenPolicy.verdict([http, grpc], tls: false, insecure: true) == .insecure([http]))
        guard case .refused(let message) = ListenPolicy.verdict([http, grpc], tls: false, insecure: false) else {
            Issue.record("a plain listener on 0.0.0.0 was not refused")
            return
        }
        #expect(message.contains("--listen 0.0.0.0"))
        #expect(message.contains("--tls-cert"))
        #expect(message.contains("--insecure"))
        #expect(!message.contains("--grpc-listen"))
    }
}
