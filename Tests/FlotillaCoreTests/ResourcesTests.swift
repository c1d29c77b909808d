import FlotillaCore
import Testing

@Suite struct ResourcesTests {
    static let mib: Int64 = 1_048_576
    static let gib: Int64 = 1_073_741_824

    /// (bytes, expected MiB)
    static let memoryRows: [(Int64, Int64)] = [
        (0, 0), (1, 1), (mib - 1, 1), (mib, 1), (mib + 1, 2), (512 * mib, 512), (3 * gib, 3072),
    ]

    /// (bytes, expected GiB)
    static let storageRows: [(Int64, Int64)] = [
        (0, 0), (1, 1), (gib - 1, 1), (gib, 1), (gib + 1, 2), (20 * gib, 20),
    ]

    @Test(arguments: memoryRows)
    func memoryRoundsUpToWholeMiB(_ bytes: Int64, _ mb: Int64) {
        #expect(Resources(memoryBytes: bytes).memoryMB == mb)
    }

    @Test(arguments: storageRows)
    func storageRoundsUpToWholeGiB(_ bytes: Int64, _ gb: Int64) {
        #expect(Resources(storageBytes: bytes).storageGB == gb)
    }

    @Test func flavorResourcesRoundTrip() {
        for flavor in Flavor.builtIn {
            #expect(flavor.resources.memoryMB == flavor.memoryMB)
            #expect(flavor.resources.storageGB == flavor.diskGB)
            #expect(flavor.resources.cpuCores == Double(flavor.vcpus))
        }
    }
}
