import FlotillaCore
import Testing

@Suite struct RoleTests {
    @Test(arguments: [
        (Role.admin, Permission.read, true),
        (.admin, .operateInstances, true),
        (.admin, .operateWorkers, true),
        (.admin, .manageKeys, true),
        (.admin, .manageCatalog, true),
        (.operator, .read, true),
        (.operator, .operateInstances, true),
        (.operator, .operateWorkers, true),
        (.operator, .manageKeys, false),
        (.operator, .manageCatalog, false),
        (.reader, .read, true),
        (.reader, .operateInstances, false),
        (.reader, .operateWorkers, false),
        (.reader, .manageKeys, false),
        (.reader, .manageCatalog, false),
    ])
    func grants(_ role: Role, _ permission: Permission, _ granted: Bool) {
        #expect(role.grants(permission) == granted)
    }

    @Test func tableCoversEveryPair() {
        #expect(Role.allCases.count * Permission.allCases.count == 15)
    }
}
