import FlotillaCluster
import FlotillaCore
import Hummingbird
import Logging

/// Builds the router with every surface. The host wraps it in a Hummingbird `Application`.
public enum FlotillaRouter {
    public static func build(
        _ deps: ServerDependencies, logger: Logger = Logger(label: "flotilla.http")
    ) -> (Router<FlotillaRequestContext>, RouteTable) {
        let router = Router(context: FlotillaRequestContext.self)
        let table = RouteTable()
        let routes = Routes(
            router: router, authenticator: deps.keys.authenticator, credential: deps.credential,
            table: table, consistency: MinRevision(registry: deps.registry),
            audit: AuditRecorder(
                log: AuditLog(store: deps.store, logger: logger), authenticator: deps.keys.authenticator,
                credential: deps.credential, clock: deps.clock, logger: logger))
        // Outermost: the request's server span (W3C traceparent, ADR 0022) covers everything below.
        router.add(middleware: TraceMiddleware())
        // Counts every request by route template and the status the client gets (ADR 0021): around EdgeMiddleware.
        router.add(middleware: RequestMetricsMiddleware(metrics: deps.metrics))
        router.add(
            middleware: EdgeMiddleware(
                registry: deps.registry, routes: table, authenticator: routes.authenticator, credential: deps.credential,
                logger: logger))
        HealthRoutes(deps: deps).register(routes)
        ComputeRoutes(deps: deps).register(routes)
        KeyRoutes(deps: deps).register(routes)
        HealthV1Routes(deps: deps).register(routes)
        VMRoutes(deps: deps).register(routes)
        FlavorRoutes(deps: deps).register(routes)
        ImageRoutes(deps: deps).register(routes)
        WorkerRoutes(deps: deps).register(routes)
        ClusterRoutes(deps: deps).register(routes)
        FlintlockRoutes(deps: deps).register(routes)
        InternalRoutes(deps: deps).register(routes)
        GlobalRoutes(deps: deps).register(routes)
        GlobalStatusRoute(deps: deps).register(routes)
        GlobalClusterRoutes(deps: deps).register(routes)
        NetworkRoutes(deps: deps).register(routes)
        SnapshotRoutes(deps: deps).register(routes)
        EventsRoute(deps: deps).register(routes)
        LogsRoute(deps: deps).register(routes)
        AuditRoute(deps: deps).register(routes)
        OpenAPIRoute(version: deps.version).register(routes)
        MetricsRoute(deps: deps).register(routes)
        // The dashboard's static files: not API routes, so not in the route table (ADR 0023).
        DashboardRoutes().register(on: router)
        return (router, table)
    }
}
