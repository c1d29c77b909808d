import AsyncHTTPClient
import Foundation
import NIOHTTP1

/// A headless Chromium driven through `chromedriver` (Debian's `chromium` and `chromium-driver`), for the dashboard
/// tests and the `/ui` benchmark. ``with(_:)`` starts `chromedriver --port=0` on loopback, opens one session with a
/// temporary profile, runs the body, then ends the session, stops the driver, kills any browser process still
/// using that profile and removes it, whatever the body did.
public enum ChromiumFixture {
    public static let browser = "/usr/bin/chromium"
    public static let driver = "/usr/bin/chromedriver"

    /// Whether the browser and its driver are installed.
    public static var installed: Bool {
        FileManager.default.isExecutableFile(atPath: browser) && FileManager.default.isExecutableFile(atPath: driver)
    }

    /// Whether the browser tests run: installed, or required (`FLOTILLA_REQUIRE_REAL=1`, then they fail if missing).
    public static var testsEnabled: Bool {
        installed || ProcessInfo.processInfo.environment["FLOTILLA_REQUIRE_REAL"] == "1"
    }

    /// Runs `body` with a new browser session (window 1280×900 unless told otherwise).
    public static func with<T>(width: Int = 1280, height: Int = 900, _ body: (WebDriver) async throws -> T) async throws -> T {
        guard installed else {
            throw ProcessFailure("chromium and chromedriver are not installed (apt-get install chromium chromium-driver)")
        }
        let profile = FileManager.default.temporaryDirectory
            .appendingPathComponent("flotilla-chromium-\(UUID().uuidString.prefix(8))").path
        try FileManager.default.createDirectory(atPath: profile, withIntermediateDirectories: true)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: driver)
        process.arguments = ["--port=0", "--allowed-ips=127.0.0.1", "--log-level=WARNING"]
        let output = LockedBox("")
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        pipe.fileHandleForReading.readabilityHandler = { handle in
            let data = handle.availableData
            if data.isEmpty { handle.readabilityHandler = nil; return }
            output.withLock { $0 += String(decoding: data, as: UTF8.self) }
        }
        let client = HTTPClient(eventLoopGroupProvider: .singleton)
        var session: String?
        var driverURL = ""
        do {
            try process.run()
            driverURL = try await waitForPort(process, output)
            let id = try await newSession(client, driverURL, profile: profile)
            session = id
            let webDriver = WebDriver(client: client, base: "\(driverURL)/session/\(id)")
            try await webDriver.setWindowSize(width: width, height: height)
            let result = try await body(webDriver)
            await tearDown(client, driverURL, session, process, profile)
            return result
        } catch {
            await tearDown(client, driverURL, session, process, profile)
            throw error
        }
    }

    /// The driver's URL once it says which port it took.
    private static func waitForPort(_ process: Process, _ output: LockedBox<String>) async throws -> String {
        do {
            return try await eventuallyValue("chromedriver starts", timeout: .seconds(30)) { () throws -> String? in
                if let match = output.withLock({ $0 }).firstMatch(of: /started successfully on port (\d+)/) {
                    return "http://127.0.0.1:\(match.1)"
                }
                if !process.isRunning { throw ProcessFailure("chromedriver exited") }
                return nil
            }
        } catch {
            throw ProcessFailure("\(error): \(output.withLock { $0 })")
        }
    }

    private static func newSession(_ client: HTTPClient, _ url: String, profile: String) async throws -> String {
        let options: [String: Any] = [
            "binary": browser,
            "args": [
                "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--user-data-dir=\(profile)",
                "--no-first-run", "--no-default-browser-check", "--disable-extensions", "--disable-background-networking",
                "--disable-sync", "--disable-component-update", "--hide-scrollbars", "--force-device-scale-factor=1",
            ],
        ]
        let body: [String: Any] = ["capabilities": ["alwaysMatch": ["browserName": "chrome", "goog:chromeOptions": options]]]
        let value = try await WebDriver.request(client, .POST, "\(url)/session", body)
        guard let id = (value as? [String: Any])?["sessionId"] as? String else {
            throw ProcessFailure("chromedriver opened no session: \(String(describing: value))")
        }
        return id
    }

    /// Ends the session (the browser quits), stops the driver, kills what is left of the browser, removes the profile.
    private static func tearDown(_ client: HTTPClient, _ url: String, _ session: String?, _ process: Process, _ profile: String) async {
        if let session { _ = try? await WebDriver.request(client, .DELETE, "\(url)/session/\(session)", nil) }
        try? await client.shutdown()
        if process.isRunning { kill(process.processIdentifier, SIGTERM) }
        await process.exits(within: .seconds(10), every: .milliseconds(20))
        if process.isRunning {
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
        }
        for pid in processes(using: profile) { kill(pid, SIGKILL) }
        try? FileManager.default.removeItem(atPath: profile)
    }

    /// The processes whose command line names `profile` (a browser the driver left behind).
    static func processes(using profile: String) -> [Int32] {
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
        return entries.compactMap { Int32($0) }.filter { pid in
            guard let data = FileManager.default.contents(atPath: "/proc/\(pid)/cmdline") else { return false }
            return String(decoding: data, as: UTF8.self).contains("--user-data-dir=\(profile)")
        }
    }
}
