import ServiceLifecycle

/// The host runs the store's lease-expiry loop (``SQLiteClusterStore/run()``) as a service of its
/// `ServiceGroup`; the loop stops on graceful shutdown or cancellation.
extension SQLiteClusterStore: Service {}
