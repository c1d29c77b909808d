import Foundation
import ServiceLifecycle

/// A listener of a served host (the HTTP server, surface E's gRPC server) whose bound port opens `bound`.
/// A failure before it bound becomes ``HostError/cannotListen(address:option:reason:)``, which names the address.
struct BoundListener: Service {
    let host: String
    let port: Int
    /// The option that chooses the address (`--listen`, `--grpc-listen`).
    let option: String
    let bound: Latch<Int>
    let service: (any Service)?

    /// - Parameter service: makes the listener, which opens the latch it is given with its port once it listens.
    init(host: String, port: Int, option: String, service: (Latch<Int>) -> (any Service)?) {
        self.host = host
        self.port = port
        self.option = option
        self.bound = Latch()
        self.service = service(bound)
    }

    func run() async throws {
        do {
            try await service?.run()
        } catch let error where bound.current == nil && !Task.isCancelled && !(error is CancellationError) {
            throw HostError.cannotListen(address: "\(host):\(port)", option: option, reason: reason(error))
        }
    }

    /// The C library's words for the errno the error carries in its description (NIO's errors do:
    /// "bind(descriptor:ptr:bytes:): Address already in use (errno: 98)"), else for the errno of binding the
    /// address once more, else the error's description.
    private func reason(_ error: any Error) -> String {
        let text = String(describing: error)
        let code = text.firstMatch(of: /errno: (\d+)/).flatMap { Int32($0.1) } ?? BindProbe.failure(host: host, port: port)
        guard let code, let message = strerror(code) else { return text }
        return String(cString: message).lowercased()
    }
}
