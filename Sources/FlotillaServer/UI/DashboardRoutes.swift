import HTTPTypes
import Hummingbird

/// `GET /ui` and `GET /ui/<asset>`: the dashboard's files (ADR 0023). No key: the files are the same for everyone and
/// hold no data; the app asks the API for everything with the key the user signed in with. The routes are added to
/// the router directly, not through ``Routes``: they are not part of the API, so they are neither in the
/// ``RouteTable`` nor in `/openapi.json` (and so not in the contract tests or the schemathesis run).
struct DashboardRoutes {
    /// No script but the app's own files, no inline script or style, API calls to this origin only, no framing.
    static let contentSecurityPolicy =
        "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' data:; "
        + "base-uri 'none'; form-action 'none'; frame-ancestors 'none'"

    static let referrerPolicy = HTTPField.Name(constant: "Referrer-Policy")

    func register(on router: Router<FlotillaRequestContext>) {
        router.get("/ui") { request, _ in Self.serve("index.html", request) }
        router.get("/ui/:asset") { request, context in
            Self.serve(context.parameters.get("asset") ?? "", request)
        }
    }

    /// The asset's response: 304 when the client's `If-None-Match` names its ETag, 404 for an unknown name.
    static func serve(_ name: String, _ request: Request) -> Response {
        guard let asset = DashboardAsset.all[name] else {
            var response = Response(
                status: .notFound, headers: [.contentType: "text/plain; charset=utf-8"],
                body: ResponseBody(byteBuffer: ByteBuffer(string: "No dashboard file named \(name.prefix(100))\n")))
            secure(&response.headers)
            return response
        }
        var headers: HTTPFields = [.eTag: asset.etag, .cacheControl: "no-cache"]
        secure(&headers)
        if matches(request.headers[values: .ifNoneMatch], asset.etag) {
            return Response(status: .notModified, headers: headers)
        }
        headers[.contentType] = asset.contentType
        return Response(status: .ok, headers: headers, body: ResponseBody(byteBuffer: asset.body))
    }

    /// Whether an `If-None-Match` list names `etag` (or is `*`).
    static func matches(_ values: [String], _ etag: String) -> Bool {
        for value in values {
            for tag in value.split(separator: ",") {
                let trimmed = String(tag.filter { $0 != " " })
                if trimmed == etag || trimmed == "*" { return true }
            }
        }
        return false
    }

    private static func secure(_ headers: inout HTTPFields) {
        headers[.contentSecurityPolicy] = contentSecurityPolicy
        headers[.xContentTypeOptions] = "nosniff"
        headers[referrerPolicy] = "no-referrer"
    }
}
