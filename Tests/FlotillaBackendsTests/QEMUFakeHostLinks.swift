import FlotillaBackends
import FlotillaCore
import Synchronization

/// A fake of ``HostLinks`` for the kvm backend's tests: makes no device, records every call in order (`ensureBridge
/// fl-vmnet`, `createTap NAME BRIDGE`, `createMacvtap NAME PARENT MAC`, `deleteLink NAME`), keeps the set of
/// devices it would have (those given plus those made, less those deleted), fails a call whose record starts with
/// one of `failing`, and hands out `macvtapPath` as the macvtap's character device.
final class QEMUFakeHostLinks: HostLinks {
    private struct State {
        var calls: [String] = []
        var devices: [String]
    }

    private let state: Mutex<State>
    let failing: [String]
    let macvtapPath: String

    init(devices: [String] = [], failing: [String] = [], macvtapPath: String = "/dev/null") {
        state = Mutex(State(devices: devices))
        self.failing = failing
        self.macvtapPath = macvtapPath
    }

    var calls: [String] { state.withLock { $0.calls } }
    var devices: [String] { state.withLock { $0.devices } }

    private func record(_ call: String, device: String) throws(HostLinkError) {
        state.withLock { $0.calls.append(call) }
        if failing.contains(where: { call.hasPrefix($0) }) {
            throw HostLinkError(operation: String(call.prefix { $0 != " " }), device: device, reason: "injected by the fake")
        }
    }

    func ensureBridge(_ network: NetworkDefinition) async throws(HostLinkError) {
        try record("ensureBridge \(network.bridge)", device: network.bridge)
    }

    func createTap(name: String, bridge: String) async throws(HostLinkError) {
        try record("createTap \(name) \(bridge)", device: name)
        state.withLock { $0.devices.append(name) }
    }

    func createMacvtap(name: String, parent: String, mac: String) async throws(HostLinkError) -> String {
        try record("createMacvtap \(name) \(parent) \(mac)", device: name)
        state.withLock { $0.devices.append(name) }
        return macvtapPath
    }

    func deleteLink(name: String) async throws(HostLinkError) {
        try record("deleteLink \(name)", device: name)
        state.withLock { $0.devices.removeAll { $0 == name } }
    }

    func linkNames() async throws(HostLinkError) -> [String] {
        try record("linkNames", device: "*")
        return devices
    }
}
