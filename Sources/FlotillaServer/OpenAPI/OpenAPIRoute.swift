import FlotillaAPI
import FlotillaCore
import Hummingbird

/// `GET /openapi.json` (any key: it describes what a reader may call).
struct OpenAPIRoute {
    let version: String

    func register(_ routes: Routes) {
        let body = JSONResponse.encode(OpenAPIDocument.build(version: version))
        routes.add(.get, "/openapi.json", permission: .read) { _, _ in JSONResponse.make(body: body) }
    }
}
