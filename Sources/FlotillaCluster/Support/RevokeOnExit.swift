import FlotillaCore

/// Revokes a lease while the calling task is being cancelled (shutdown). The revoke runs in its own task,
/// awaited here, so the caller's cancellation does not abort it; it is bounded by a deadline.
func revokeAfterCancellation(_ lease: LeaseID, store: any ClusterStore) async {
    await Task.detached {
        try? await withDeadline(.seconds(2)) { try await store.revokeLease(lease) }
    }.value
}
