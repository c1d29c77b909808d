import Crypto
import Hummingbird

/// One file of the dashboard (`/ui`), embedded in the binary at build time (`PackageResources`, ADR 0023): a copied
/// binary serves it without any file beside it. Static files hold no data; every datum comes from the API.
struct DashboardAsset: Sendable {
    var name: String
    var contentType: String
    var body: ByteBuffer
    /// A strong validator: the first 16 bytes of the file's SHA-256, quoted.
    var etag: String

    init(name: String, contentType: String, bytes: [UInt8]) {
        self.name = name
        self.contentType = contentType
        self.body = ByteBuffer(bytes: bytes)
        let digest = SHA256.hash(data: bytes).prefix(16).map { byte in
            let hex = String(byte, radix: 16)
            return byte < 16 ? "0" + hex : hex
        }
        self.etag = "\"" + digest.joined() + "\""
    }

    /// Every asset by the name it has under `/ui/`; `index.html` is also `/ui` itself.
    static let all: [String: DashboardAsset] = {
        let files: [(String, String, [UInt8])] = [
            ("index.html", "text/html; charset=utf-8", PackageResources.index_html),
            ("app.css", "text/css; charset=utf-8", PackageResources.app_css),
            ("app.js", "text/javascript; charset=utf-8", PackageResources.app_js),
            ("api.js", "text/javascript; charset=utf-8", PackageResources.api_js),
            ("dom.js", "text/javascript; charset=utf-8", PackageResources.dom_js),
            ("events.js", "text/javascript; charset=utf-8", PackageResources.events_js),
            ("overview.js", "text/javascript; charset=utf-8", PackageResources.overview_js),
            ("instances.js", "text/javascript; charset=utf-8", PackageResources.instances_js),
            ("instance.js", "text/javascript; charset=utf-8", PackageResources.instance_js),
            ("feed.js", "text/javascript; charset=utf-8", PackageResources.feed_js),
        ]
        return Dictionary(uniqueKeysWithValues: files.map { ($0.0, DashboardAsset(name: $0.0, contentType: $0.1, bytes: $0.2)) })
    }()
}
