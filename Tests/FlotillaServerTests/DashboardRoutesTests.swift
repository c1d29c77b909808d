import FlotillaTestSupport
import Foundation
import HTTPTypes
import Testing

@testable import FlotillaServer

/// `/ui` and its files (ADR 0023): served without a key, with their type, a strict CSP, `nosniff` and an ETag that
/// answers 304; an unknown file is 404; the HTML holds no data of the cluster.
@Suite("Dashboard routes")
struct DashboardRoutesTests {
    static let csp = HTTPField.Name(constant: "Content-Security-Policy")
    static let nosniff = HTTPField.Name(constant: "X-Content-Type-Options")

    static let types: [(String, String)] = [
        ("/ui/index.html", "text/html; charset=utf-8"), ("/ui/app.css", "text/css; charset=utf-8"),
        ("/ui/app.js", "text/javascript; charset=utf-8"), ("/ui/api.js", "text/javascript; charset=utf-8"),
        ("/ui/dom.js", "text/javascript; charset=utf-8"), ("/ui/events.js", "text/javascript; charset=utf-8"),
        ("/ui/overview.js", "text/javascript; charset=utf-8"), ("/ui/instances.js", "text/javascript; charset=utf-8"),
        ("/ui/instance.js", "text/javascript; charset=utf-8"), ("/ui/feed.js", "text/javascript; charset=utf-8"),
    ]

    @Test("/ui, /ui/ and every file are served without a key, with their type, CSP, nosniff, ETag and no-cache")
    func servesEveryFile() async throws {
        try await withProbe { probe, _ in
            let anonymous = probe.with(key: nil)
            for (path, type) in Self.types + [("/ui", "text/html; charset=utf-8"), ("/ui/", "text/html; charset=utf-8")] {
                let r = try await anonymous.get(path)
                #expect(r.status == 200, "\(path)")
                #expect(r.headers[.contentType] == type, "\(path)")
                #expect(r.headers[.cacheControl] == "no-cache", "\(path)")
                #expect(r.headers[Self.nosniff] == "nosniff", "\(path)")
                let csp = try #require(r.headers[Self.csp], "\(path) has no CSP")
                #expect(csp.contains("script-src 'self'") && csp.contains("connect-src 'self'") && csp.contains("default-src 'none'"))
                #expect(!csp.contains("unsafe-inline") && !csp.contains("unsafe-eval"), "\(path): \(csp)")
                #expect(r.headers[.eTag]?.hasPrefix("\"") == true, "\(path)")
                #expect(!r.text.isEmpty, "\(path)")
            }
            // Every module the app imports is served: a missing one would leave a blank page.
            let app = try await anonymous.get("/ui/app.js").text
            for match in app.matches(of: /from "\.\/([a-z]+\.js)"/) {
                #expect(try await anonymous.get("/ui/\(match.1)").status == 200, "\(match.1)")
            }
        }
    }

    @Test("a matching If-None-Match answers 304 without a body; a changed file's old tag gets the file")
    func conditionalGet() async throws {
        try await withProbe { probe, _ in
            let anonymous = probe.with(key: nil)
            let first = try await anonymous.get("/ui/app.js")
            let tag = try #require(first.headers[.eTag])
            let again = try await anonymous.call(.get, "/ui/app.js", headers: [.ifNoneMatch: tag])
            #expect(again.status == 304)
            #expect(again.text.isEmpty)
            #expect(again.headers[.eTag] == tag)
            let stale = try await anonymous.call(.get, "/ui/app.js", headers: [.ifNoneMatch: "\"0000\""])
            #expect(stale.status == 200)
            #expect(stale.text == first.text)
            // Each file has its own tag.
            #expect(try await anonymous.get("/ui/app.css").headers[.eTag] != tag)
        }
    }

    @Test("an unknown file is a 404 with the same headers; a path below a file is a 404 too")
    func unknownFile() async throws {
        try await withProbe { probe, _ in
            let anonymous = probe.with(key: nil)
            for path in ["/ui/nope.js", "/ui/..%2Fopenapi.json", "/ui/index.html.bak"] {
                let r = try await anonymous.get(path)
                #expect(r.status == 404, "\(path)")
                #expect(r.headers[Self.csp] != nil, "\(path)")
                #expect(!r.text.contains("<script"), "\(path)")
            }
            #expect(try await anonymous.get("/ui/a/b.js").status == 404)
        }
    }

    @Test("the page holds no data: no host id, no instance name, no key, no inline script or style")
    func noDataInThePage() async throws {
        try await withProbe { probe, host in
            _ = try await probe.createSim("secret-web-1")
            let html = try await probe.with(key: nil).get("/ui").text
            #expect(!html.contains("secret-web-1"))
            #expect(!html.contains(host.adminKey))
            #expect(!html.contains("test-host"))
            // Scripts only from files (CSP), one module entry point.
            #expect(html.contains(#"<script type="module" src="/ui/app.js"></script>"#))
            #expect(html.matches(of: /<script[^>]*>[^<]+<\/script>/).isEmpty)
            #expect(!html.contains("<style") && !html.contains("style=") && !html.contains("onclick"))
            // The API behind it still wants a key.
            #expect(try await probe.with(key: nil).get("/api/v2/vms").status == 401)
        }
    }
}
