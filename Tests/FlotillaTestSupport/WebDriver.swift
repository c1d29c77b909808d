import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1

/// A small W3C WebDriver client (JSON over HTTP) for one browser session of a ``ChromiumFixture``: navigate, find,
/// click, type, run a script, take a screenshot. Every call has a deadline and every answer a size limit.
public struct WebDriver: Sendable {
    /// The key under which the protocol names an element.
    static let elementKey = "element-6066-11e4-a52e-4f735466cecf"

    let client: HTTPClient
    /// `http://127.0.0.1:<port>/session/<id>`
    let base: String

    /// An element of the page, by its WebDriver reference.
    public struct Element: Sendable {
        let id: String
        let driver: WebDriver

        public func click() async throws { _ = try await driver.call(.POST, "/element/\(id)/click", [:]) }
        public func type(_ text: String) async throws { _ = try await driver.call(.POST, "/element/\(id)/value", ["text": text]) }
        public func clear() async throws { _ = try await driver.call(.POST, "/element/\(id)/clear", [:]) }
        public var text: String {
            get async throws { try await driver.call(.GET, "/element/\(id)/text") as? String ?? "" }
        }
        public func attribute(_ name: String) async throws -> String? {
            try await driver.call(.GET, "/element/\(id)/attribute/\(name)") as? String
        }
        public var isEnabled: Bool {
            get async throws { try await driver.call(.GET, "/element/\(id)/enabled") as? Bool ?? false }
        }
    }

    /// An error the driver answered (`no such element`, `javascript error`, ...).
    public struct Failure: Error, CustomStringConvertible {
        public var error: String
        public var message: String
        public var description: String { "WebDriver \(error): \(message)" }
    }

    public func navigate(to url: String) async throws { _ = try await call(.POST, "/url", ["url": url]) }

    public var currentURL: String {
        get async throws { try await call(.GET, "/url") as? String ?? "" }
    }

    public func setWindowSize(width: Int, height: Int) async throws {
        _ = try await call(.POST, "/window/rect", ["width": width, "height": height])
    }

    /// The first element matching a CSS selector; `Failure` (`no such element`) when there is none.
    public func find(_ css: String) async throws -> Element {
        let value = try await call(.POST, "/element", ["using": "css selector", "value": css])
        guard let id = (value as? [String: Any])?[Self.elementKey] as? String else { throw Failure(error: "no element", message: css) }
        return Element(id: id, driver: self)
    }

    /// Every element matching a CSS selector.
    public func findAll(_ css: String) async throws -> [Element] {
        let value = try await call(.POST, "/elements", ["using": "css selector", "value": css])
        return ((value as? [[String: Any]]) ?? []).compactMap { $0[Self.elementKey] as? String }.map { Element(id: $0, driver: self) }
    }

    /// The text of the first element matching `css`, or nil when there is none.
    public func text(of css: String) async throws -> String? {
        do { return try await find(css).text } catch let failure as Failure where failure.error == "no such element" { return nil }
    }

    /// Runs `script` (a function body: `return ...`) in the page and returns what it returned, as JSON values.
    @discardableResult
    public func execute(_ script: String, _ arguments: [Any] = []) async throws -> Any? {
        try await call(.POST, "/execute/sync", ["script": script, "args": arguments])
    }

    /// A PNG of the viewport.
    public func screenshot() async throws -> Data {
        guard let text = try await call(.GET, "/screenshot") as? String, let data = Data(base64Encoded: text) else {
            throw Failure(error: "screenshot", message: "no PNG in the answer")
        }
        return data
    }

    /// Saves a PNG of the page to `folder/name.png`; returns its path.
    @discardableResult
    public func saveScreenshot(_ name: String, in folder: String) async throws -> String {
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let path = "\(folder)/\(name).png"
        try await screenshot().write(to: URL(fileURLWithPath: path))
        return path
    }

    /// One command of the session: `path` is relative to the session; returns the answer's `value`.
    func call(_ method: HTTPMethod, _ path: String, _ body: [String: Any]? = nil) async throws -> Any? {
        try await Self.request(client, method, base + path, body)
    }

    /// One WebDriver request: JSON in and out, 30 s deadline, answers up to 32 MiB (screenshots).
    static func request(_ client: HTTPClient, _ method: HTTPMethod, _ url: String, _ body: [String: Any]?) async throws -> Any? {
        var request = HTTPClientRequest(url: url)
        request.method = method
        if let body {
            request.headers.add(name: "Content-Type", value: "application/json")
            request.body = .bytes(ByteBuffer(bytes: try JSONSerialization.data(withJSONObject: body)))
        }
        let response = try await client.execute(request, timeout: .seconds(30))
        let data = Data(try await response.body.collect(upTo: 32 << 20).readableBytesView)
        let root = (try? JSONSerialization.jsonObject(with: data, options: [.fragmentsAllowed])) as? [String: Any]
        let value = root?["value"]
        if response.status.code >= 400 || (value as? [String: Any])?["error"] != nil {
            let object = value as? [String: Any]
            throw Failure(
                error: object?["error"] as? String ?? "HTTP \(response.status.code)",
                message: object?["message"] as? String ?? String(decoding: data.prefix(500), as: UTF8.self))
        }
        return value is NSNull ? nil : value
    }
}
