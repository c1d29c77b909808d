import FlotillaCore
import Testing

@Suite struct BackendErrorTests {
    @Test(arguments: [
        (BackendError.notFound("i-1"), BackendKind.docker, FlotillaError.Code.instanceNotFound, ["id": JSONValue.string("i-1")]),
        (.unavailable("socket refused"), .docker, .backendUnavailable, ["backend": "docker", "reason": "socket refused"]),
        (.unsupported("pause"), .kvm, .operationNotSupported, ["backend": "kvm", "operation": "pause"]),
        (.failed("qemu exited"), .kvm, .backendError, ["backend": "kvm"]),
        (.invalidRequest("bad image"), .sim, .validationError, ["backend": "sim"]),
    ])
    func mapsOntoFlotillaError(
        _ error: BackendError, _ backend: BackendKind, _ code: FlotillaError.Code, _ details: [String: JSONValue]
    ) {
        let mapped = error.flotillaError(backend: backend)
        #expect(mapped.code == code)
        #expect(mapped.details == details)
        #expect(!mapped.message.isEmpty)
    }

    @Test func messagesNameTheBackendAndOperation() {
        #expect(BackendError.unsupported("pause").flotillaError(backend: .kvm).message == "pause is not supported by the kvm backend")
        #expect(BackendError.unavailable("x").flotillaError(backend: .docker).message == "docker backend is not available")
        #expect(BackendError.failed("qemu exited").flotillaError(backend: .kvm).message == "qemu exited")
        #expect(BackendError.notFound("i-1").flotillaError(backend: .sim).message == "Instance i-1 not found")
    }
}
