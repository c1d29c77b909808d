import FlotillaAPI
import FlotillaClient
import FlotillaTestSupport
import Foundation
import Testing

/// The dashboard (`/ui`, ADR 0023) driven in a real headless Chromium against three `flotilla serve` hosts on a
/// real etcd, one per zone: sign in, see a worker per zone, see an instance created through the API appear without
/// a reload, stop it from the page, drain a worker, and a reader key refused the stop with a clear error. Saves a PNG
/// of each page to `FLOTILLA_SCREENSHOTS` (a relative path is taken from the package root; default: a temporary
/// folder removed afterwards).
@Suite(
    "Dashboard in Chromium", .serialized,
    .enabled(if: EtcdCluster.testsEnabled && ChromiumFixture.testsEnabled, "etcd or chromium is not installed"))
struct DashboardBrowserTests {
    static let key = "flt_dashboard_browser_test_key_01"
    /// Generous: three hosts, etcd and a browser share a 2-core machine. Only an upper bound, polled.
    static let patience: Duration = .seconds(45)

    func client<T: Sendable>(_ host: ServeProcess, key: String = Self.key, _ body: (FlotillaClient) async throws -> T) async throws -> T {
        try await FlotillaClient.withClient(baseURL: host.url, apiKey: key, timeout: .seconds(30), body)
    }

    /// Polls a script in the page (a function body returning a boolean) until it returns true.
    func until(_ driver: WebDriver, _ what: String, _ script: String) async throws {
        try await eventually(what, timeout: Self.patience, every: .milliseconds(200)) {
            (try? await driver.execute(script)) as? Bool == true
        }
    }

    @Test("sign in, a worker per zone, live list, stop from the page, drain, a reader refused")
    func dashboard() async throws {
        try await FixtureStack.with { stack in
            let etcd = try await stack.etcd(size: 1)
            let dir = try await stack.temporaryDirectory("dashboard")
            let shots = try await Self.screenshotFolder(stack)
            var hosts: [ServeProcess] = []
            for (i, zone) in ["zone-a", "zone-b", "zone-c"].enumerated() {
                hosts.append(
                    try await stack.serve(
                        dataDir: "\(dir)/h\(i + 1)", apiKey: Self.key,
                        extra: etcd.serveArguments + ["--cluster-secret", "test-secret", "--host-id", "h\(i + 1)", "--zone", zone]))
            }
            let first = hosts[0]
            // Every host registered, and a leader to place instances.
            try await eventually("three workers and a leader", timeout: Self.patience, every: .milliseconds(200)) {
                guard let cluster = try? await client(first, { try await $0.globalCluster() }) else { return false }
                return cluster.members.count == 3 && cluster.leader != nil
            }
            let reader = try await client(first) { try await $0.createKey(name: "dashboard-reader", role: "reader") }.key
            for name in ["api-1", "cache-1", "worker-1"] {
                _ = try await client(first) {
                    try await $0.createGlobalVM(.init(name: name, backend: "sim", image: "busybox"), waitRunning: true)
                }
            }

            try await ChromiumFixture.with { driver in
                // Sign-in: a wrong key is refused on the page.
                try await driver.navigate(to: first.url + "/ui")
                try await until(driver, "the sign-in form", "return !!document.querySelector('#key')")
                try await driver.saveScreenshot("dashboard-sign-in", in: shots)
                try await driver.find("#key").type("flt_not_a_key_of_this_cluster_000")
                try await driver.find("form button[type=submit]").click()
                try await until(driver, "the refusal", "return document.querySelector('#signin-error')?.textContent.includes('refused')")
                #expect(try await driver.currentURL.contains("flt_") == false, "the key never goes in the URL")

                // The right key: the overview, one worker in each zone.
                try await driver.find("#key").clear()
                try await driver.find("#key").type(Self.key)
                try await driver.find("form button[type=submit]").click()
                try await until(
                    driver, "three zones with one worker each",
                    """
                    const zones = [...document.querySelectorAll('[data-zone]')];
                    return zones.length === 3 && zones.every(z => z.querySelectorAll('[data-worker]').length === 1);
                    """)
                let zones = try await driver.execute("return [...document.querySelectorAll('[data-zone]')].map(z => z.dataset.zone)")
                #expect(zones as? [String] == ["zone-a", "zone-b", "zone-c"])
                #expect(try await driver.execute("return sessionStorage.getItem('flotilla.key')") as? String == Self.key)

                // The instance list; an instance created through the API appears without a reload.
                try await driver.execute("location.hash = '#/instances'; window.flotillaNoReload = true")
                try await until(driver, "the three instances", "return document.querySelectorAll('tr[data-id]').length === 3")
                let created = try await client(first) {
                    try await $0.createGlobalVM(.init(name: "web-live", backend: "sim", image: "nginx"))
                }
                try await until(
                    driver, "web-live running in the list",
                    """
                    return document.querySelector('tr[data-id="\(created.id)"]')?.dataset.state === 'running';
                    """)
                #expect(try await driver.execute("return window.flotillaNoReload === true") as? Bool == true, "no reload")
                try await driver.saveScreenshot("dashboard-instances", in: shots)

                // Stop it from the page: the row shows the state change, and the server agrees.
                try await driver.find("tr[data-id=\"\(created.id)\"] button[data-action=stop]").click()
                try await until(
                    driver, "web-live stopped in the list",
                    """
                    return document.querySelector('tr[data-id="\(created.id)"]')?.dataset.state === 'stopped';
                    """)
                let stopped = try await client(first) { try await $0.globalVM(id: created.id) }
                #expect(stopped.desired == "stopped")

                // Its page: the record and the live status from its host.
                try await driver.find("tr[data-id=\"\(created.id)\"] a").click()
                try await until(driver, "the instance page", "return document.querySelector('#instance-title')?.textContent === 'web-live'")
                try await until(driver, "its live status", "return document.querySelector('[aria-live] .state')?.textContent === 'stopped'")
                try await driver.saveScreenshot("dashboard-instance", in: shots)

                // The event feed holds what happened since sign-in.
                try await driver.find("nav a[data-section=events]").click()
                try await until(
                    driver, "the stop in the feed",
                    """
                    return [...document.querySelectorAll('.feed li')].some(li => li.textContent.includes('web-live')
                        && li.dataset.type === 'instance.state_changed' && li.textContent.includes('stopped'));
                    """)
                try await driver.saveScreenshot("dashboard-events", in: shots)

                // Drain h3 from the overview: its card says draining, and so does the API.
                try await driver.find("nav a[data-section=overview]").click()
                try await until(driver, "the overview", "return !!document.querySelector('[data-worker=h3] button')")
                try await driver.find("[data-worker=h3] button").click()
                try await until(driver, "h3 draining", "return document.querySelector('[data-worker=h3]')?.dataset.status === 'draining'")
                let h3 = try await client(first) { try await $0.worker(id: "h3") }
                #expect(h3.status == "draining")
                try await driver.saveScreenshot("dashboard-overview", in: shots)

                // A reader key: the stop is refused with a sentence naming its role.
                try await driver.find("#signout").click()
                try await until(driver, "the sign-in form again", "return !!document.querySelector('#key')")
                #expect(try await driver.execute("return sessionStorage.getItem('flotilla.key') === null") as? Bool == true)
                try await driver.find("#key").type(reader)
                try await driver.find("form button[type=submit]").click()
                try await until(driver, "signed in as reader", "return !!document.querySelector('[data-zone]')")
                try await driver.execute("location.hash = '#/instances'")
                let running = try await client(first) { try await $0.globalVMs(filters: ["state": "running"]) }.items[0]
                try await until(
                    driver, "the list", "return !!document.querySelector('tr[data-id=\"\(running.id)\"] button[data-action=stop]')")
                try await driver.find("tr[data-id=\"\(running.id)\"] button[data-action=stop]").click()
                try await until(
                    driver, "the refusal",
                    """
                    return document.querySelector('#notice')?.textContent.includes('Your key (role reader) may not stop instance');
                    """)
                // The role is known now: the page no longer offers what the key may not do.
                try await until(
                    driver, "disabled actions",
                    """
                    return document.querySelector('tr[data-id="\(running.id)"] button[data-action=stop]')?.disabled === true;
                    """)
                let still = try await client(first) { try await $0.globalVM(id: running.id) }
                #expect(still.desired == "running")
                #expect(try await driver.text(of: "#who") == "role reader")
                try await driver.saveScreenshot("dashboard-error", in: shots)
            }
        }
    }

    /// `FLOTILLA_SCREENSHOTS` (relative to the package root unless absolute), else a folder removed afterwards.
    static func screenshotFolder(_ stack: FixtureStack) async throws -> String {
        guard let given = ProcessInfo.processInfo.environment["FLOTILLA_SCREENSHOTS"], !given.isEmpty else {
            return try await stack.temporaryDirectory("screenshots")
        }
        return given.hasPrefix("/") ? given : ServeProcess.packageRoot + "/" + given
    }
}
