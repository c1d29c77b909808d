import FlotillaCore
import Foundation

extension InstanceService {
    /// The last `lines` lines of an instance's console, read from the backend that runs it on this host.
    public func console(id: String, lines: Int) async throws(FlotillaError) -> String {
        try await withLocalBackend(id: id, action: "console") { backend, id in try await backend.console(id: id, lines: lines) }
    }
}
