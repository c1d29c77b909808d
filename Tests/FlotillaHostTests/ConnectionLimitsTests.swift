import FlotillaHost
import Testing

@Suite("connection limits: who is admitted, and the caps for an open-file limit")
struct ConnectionLimitsTests {
    @Test(
        "the verdict on a new connection",
        arguments: [
            // (total, per address, open in all, open from its address, verdict)
            (100, 10, 0, 0, ConnectionLimits.Verdict.admit),
            (100, 10, 99, 9, .admit),
            (100, 10, 50, 10, .overAddress),
            (100, 10, 100, 0, .overTotal),
            (100, 10, 100, 10, .overAddress),
            (100, 10, 150, 3, .overTotal),
            (1, 1, 0, 0, .admit),
            (1, 1, 1, 1, .overAddress),
        ])
    func verdict(total: Int, perAddress: Int, inAll: Int, fromAddress: Int, expected: ConnectionLimits.Verdict) {
        let limits = ConnectionLimits(total: total, perAddress: perAddress)
        #expect(limits.verdict(openInAll: inAll, openFromAddress: fromAddress) == expected)
    }

    @Test(
        "the default caps keep files for the rest of the process and keep one address under half",
        arguments: [
            // (open-file limit, total, per address)
            (64, 32, 16),
            (256, 192, 96),
            (1024, 768, 384),
            (4096, 3072, 1024),
            (20_000, 15_000, 1024),
            (524_288, 393_216, 1024),
            (1_048_576, 786_432, 1024),
            (2, 1, 1),
        ])
    func derived(openFiles: Int, total: Int, perAddress: Int) {
        let limits = ConnectionLimits.derived(openFiles: openFiles)
        #expect(limits == ConnectionLimits(total: total, perAddress: perAddress))
        #expect(limits.total < openFiles, "a connection must never be refused a file by the kernel")
    }

    @Test("given caps are kept; the per-address default follows a given total")
    func given() {
        #expect(ConnectionLimits.derived(openFiles: 1024, total: 5000, perAddress: 7) == ConnectionLimits(total: 5000, perAddress: 7))
        #expect(ConnectionLimits.derived(openFiles: 1024, total: 100) == ConnectionLimits(total: 100, perAddress: 50))
        #expect(ConnectionLimits.derived(openFiles: 1024, perAddress: 2000) == ConnectionLimits(total: 768, perAddress: 2000))
    }
}
