import FlotillaCluster
import FlotillaCore
import Hummingbird

/// `min_revision=N` on a GET (docs/api/surface-a-compute.md, shared rules): waits, at most the registry's
/// ``RegistryCache/consistencyWait``, until this host
/// applied store revision N, so a client reads its own writes from any host. Asked only once the route's own
/// authentication succeeded (ADR 0012): an anonymous caller never waits, and never learns the revision from it.
struct MinRevision: Sendable {
    let registry: RegistryCache

    /// The revision a GET asks for; nil for other methods or without `min_revision`; VALIDATION_ERROR for
    /// anything but one non-negative integer.
    static func requested(by request: Request) throws -> Revision? {
        guard isAsked(by: request) else { return nil }
        guard let raw = try request.query("min_revision") else { return nil }
        guard let wanted = Revision(raw), wanted >= 0 else {
            throw FlotillaError.validation("min_revision must be a non-negative integer", field: "min_revision")
        }
        return wanted
    }

    /// Whether `request` may ask for a revision at all (a GET naming `min_revision`): cheap, no parsing.
    static func isAsked(by request: Request) -> Bool {
        request.method == .get && request.uri.query?.contains("min_revision") == true
    }

    /// Waits for the revision `request` asks for; 504 TIMEOUT naming both revisions when this host did not
    /// apply it within the registry's consistency wait.
    func wait(for request: Request) async throws {
        guard let wanted = try Self.requested(by: request) else { return }
        guard await registry.catchUp(to: wanted) else {
            throw FlotillaError(
                .timeout, "This host has not applied revision \(wanted) yet",
                details: ["minRevision": .int(wanted), "revision": .int(registry.revision)])
        }
    }
}
