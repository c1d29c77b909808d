import FlotillaAPI
import FlotillaCore
import Foundation
import NIOCore
import Testing

@testable import FlotillaClient

@Suite("Byte sizes")
struct ByteSizeTests {
    @Test(arguments: [
        ("512MiB", Int64(536_870_912)),
        ("1GiB", 1_073_741_824),
        ("2G", 2_000_000_000),
        ("2GB", 2_000_000_000),
        ("1048576", 1_048_576),
        ("100B", 100),
        ("0", 0),
        ("1K", 1_000),
        ("1Ki", 1_024),
        ("1.5GiB", 1_610_612_736),
        (".5KiB", 512),
        ("10gib", 10_737_418_240),
        ("512 MiB", 536_870_912),
        ("  256Mi ", 268_435_456),
        ("1TiB", 1_099_511_627_776),
        ("8388607TiB", 9_223_370_937_343_148_032),
    ])
    func parsesValidSizes(text: String, bytes: Int64) throws {
        #expect(try ByteSize.parse(text) == bytes)
    }

    @Test(arguments: [
        "", "   ", "abc", "GiB", "-1", "-512MiB", "1.5", "0.3KiB", "1XB", "1 2", "1.2.3GiB", "1,5GiB",
        "8388608TiB", "99999999999999999999", "1.5.GiB", "1e3",
    ])
    func rejectsInvalidSizes(text: String) {
        #expect(throws: InvalidInput.self) { try ByteSize.parse(text) }
    }

    @Test func invalidSizeMessageNamesTheInput() {
        #expect(throws: InvalidInput("invalid size '1XB': unknown unit 'xb' (use B, K, M, G, T or Ki, Mi, Gi, Ti)")) {
            try ByteSize.parse("1XB")
        }
    }

    @Test(arguments: [
        (Int64(536_870_912), "512MiB"),
        (1_610_612_736, "1.5GiB"),
        (1_073_741_824, "1GiB"),
        (100, "100B"),
        (0, "0B"),
        (1_024, "1KiB"),
        (2_000_000_000, "1.9GiB"),
        (1_099_511_627_776, "1TiB"),
    ])
    func formatsSizes(bytes: Int64, text: String) {
        #expect(ByteSize.format(bytes) == text)
    }
}

@Suite("KEY=VALUE arguments")
struct KeyValueParserTests {
    @Test(arguments: [
        ("app=web", "app", "web"),
        ("k=", "k", ""),
        ("url=a=b", "url", "a=b"),
        ("PATH=/bin:/usr/bin", "PATH", "/bin:/usr/bin"),
        ("tier=front end", "tier", "front end"),
    ])
    func splitsAtTheFirstEquals(text: String, key: String, value: String) throws {
        let pair = try KeyValueParser.parse(text)
        #expect(pair.key == key)
        #expect(pair.value == value)
    }

    @Test(arguments: ["", "novalue", "=v", "="])
    func rejectsPairsWithoutKey(text: String) {
        #expect(throws: InvalidInput.self) { try KeyValueParser.parse(text) }
    }

    @Test func messageSaysWhatWasExpected() {
        #expect(throws: InvalidInput("invalid environment variable 'FOO': expected KEY=VALUE")) {
            try KeyValueParser.parse("FOO", what: "environment variable")
        }
    }

    @Test func parsesAllIntoADictionary() throws {
        #expect(try KeyValueParser.parseAll(["app=web", "env=prod"]) == ["app": "web", "env": "prod"])
        #expect(try KeyValueParser.parseAll([]) == [:])
    }

    @Test func rejectsAKeyGivenTwice() {
        #expect(throws: InvalidInput("label 'app' is given more than once")) {
            try KeyValueParser.parseAll(["app=web", "app=db"])
        }
    }
}

@Suite("Tables")
struct TableRendererTests {
    @Test func alignsColumnsWithoutTrailingSpaces() {
        let table = TableRenderer(
            headers: ["ID", "NAME", "STATE"],
            rows: [["1", "web-server", "running"], ["22", "db", ""]]
        )
        #expect(
            table.render() == """
                ID   NAME         STATE
                1    web-server   running
                22   db

                """)
    }

    @Test func fillsShortRowsDropsExtraCellsAndFlattensLineBreaks() {
        let table = TableRenderer(headers: ["A", "B"], rows: [["x"], ["y", "two\nlines", "extra"]], gap: 2)
        #expect(table.render() == "A  B\nx\ny  two lines\n")
    }

    @Test func headersOnlyAndNoColumns() {
        #expect(TableRenderer(headers: ["ID", "NAME"], rows: []).render() == "ID   NAME\n")
        #expect(TableRenderer(headers: [], rows: [["x"]]).render() == "")
    }

    @Test func keyValueLinesAlignValues() {
        let text = TableRenderer.keyValueLines([("ID", "abc"), ("Desired state", "running"), ("Worker", "")])
        #expect(text == "ID:            abc\nDesired state: running\nWorker:\n")
    }
}

@Suite("Error messages and exit statuses")
struct ClientErrorTests {
    @Test func apiErrorWithDetails() {
        let error = FlotillaClientError.api(
            status: 409, code: "INVALID_STATE", message: "instance web is stopped",
            details: ["currentState": "stopped", "requested": .array(["start", 1]), "retry": false])
        #expect(error.description == "instance web is stopped (INVALID_STATE, HTTP 409)")
        #expect(
            error.renderedLines == [
                "error: instance web is stopped (INVALID_STATE, HTTP 409)",
                "  currentState: stopped",
                "  requested: [\"start\",1]",
                "  retry: false",
            ])
        #expect(error.exitStatus == 1)
    }

    @Test func apiErrorWithoutDetails() {
        let error = FlotillaClientError.api(status: 404, code: "INSTANCE_NOT_FOUND", message: "no instance 'x'", details: nil)
        #expect(error.renderedLines == ["error: no instance 'x' (INSTANCE_NOT_FOUND, HTTP 404)"])
    }

    @Test(arguments: [
        (FlotillaClientError.api(status: 500, code: "X", message: "m", details: nil), Int32(1)),
        (.invalidResponse("http://h/x", "not JSON"), 1),
        (.invalidRequest("bad url"), 2),
        (.unreachable("http://h/x", "connection refused"), 3),
        (.timedOut("http://h/x", after: .seconds(90)), 3),
    ])
    func exitStatuses(error: FlotillaClientError, status: Int32) {
        #expect(error.exitStatus == status)
    }

    @Test func transportMessages() {
        #expect(
            FlotillaClientError.unreachable("http://127.0.0.1:1/health", "connection refused").renderedLines
                == ["error: cannot reach the Flotilla server at http://127.0.0.1:1/health: connection refused"])
        #expect(
            FlotillaClientError.timedOut("http://h/x", after: .seconds(90)).description
                == "no complete answer from http://h/x within 90s")
        #expect(
            FlotillaClientError.timedOut("http://h/x", after: .milliseconds(1500)).description
                == "no complete answer from http://h/x within 1.5s")
    }

    @Test func errorBodyIsDecoded() {
        let body = ByteBuffer(
            string: #"{"error":{"code":"NAME_CONFLICT","message":"name web is taken","details":{"name":"web"}}}"#)
        #expect(
            FlotillaClient.apiError(status: 409, reason: "Conflict", body: body)
                == .api(status: 409, code: "NAME_CONFLICT", message: "name web is taken", details: ["name": "web"]))
    }

    @Test func foreignErrorBodyKeepsStatusAndText() {
        #expect(
            FlotillaClient.apiError(status: 502, reason: "Bad Gateway", body: ByteBuffer(string: "<html>upstream down</html>\n"))
                == .api(status: 502, code: "HTTP_502", message: "<html>upstream down</html>", details: nil))
        #expect(
            FlotillaClient.apiError(status: 405, reason: "Method Not Allowed", body: ByteBuffer())
                == .api(status: 405, code: "HTTP_405", message: "Method Not Allowed", details: nil))
    }
}

@Suite("Request URLs")
struct RequestTargetTests {
    @Test(arguments: [
        ("web-1", "web-1"),
        ("a b", "a%20b"),
        ("web/1", "web%2F1"),
        ("ü", "%C3%BC"),
        ("a?b#c&d=e", "a%3Fb%23c%26d%3De"),
        ("100%", "100%25"),
        ("k=v,k2=v2", "k%3Dv%2Ck2%3Dv2"),
        ("a+b", "a%2Bb"),
        ("~._-", "~._-"),
    ])
    func percentEncodesEverythingButUnreserved(raw: String, encoded: String) {
        #expect(RequestTarget.percentEncode(raw) == encoded)
    }

    @Test func nameIsOnePathSegment() throws {
        let target = RequestTarget(FlotillaClient.instancesPath + ["name", "web/1 ü"])
        #expect(
            try target.url(relativeTo: "http://127.0.0.1:8080")
                == "http://127.0.0.1:8080/api/v1/compute/instances/name/web%2F1%20%C3%BC")
    }

    @Test func queryValuesAreEncoded() throws {
        let target = RequestTarget(
            FlotillaClient.instancesPath,
            query: [.init("state", "running"), .init("labels", "app=web,tier=a&b"), .init("pageSize", "10")])
        #expect(
            target.pathAndQuery
                == "/api/v1/compute/instances?state=running&labels=app%3Dweb%2Ctier%3Da%26b&pageSize=10")
    }

    @Test(arguments: [
        ("http://127.0.0.1:8080", "http://127.0.0.1:8080/health"),
        ("http://127.0.0.1:8080/", "http://127.0.0.1:8080/health"),
        ("https://flotilla.example:443/prefix//", "https://flotilla.example:443/prefix/health"),
        (" HTTP://host ", "HTTP://host/health"),
    ])
    func baseURLsAreNormalised(base: String, url: String) throws {
        #expect(try RequestTarget(["health"]).url(relativeTo: base) == url)
    }

    @Test(arguments: ["", "127.0.0.1:8080", "ftp://host", "http://", "http://host?x=1", "http://host#top", "not a url"])
    func malformedBaseURLsAreRejected(base: String) {
        #expect(throws: FlotillaClientError.self) { try RequestTarget(["health"]).url(relativeTo: base) }
    }

    @Test func labelSelectorIsSortedAndChecked() throws {
        #expect(try FlotillaClient.labelSelector(["tier": "db", "app": "web", "x": "a=b"]) == "app=web,tier=db,x=a=b")
        #expect(try FlotillaClient.labelSelector([:]) == "")
        #expect(throws: FlotillaClientError.self) { try FlotillaClient.labelSelector(["app": "a,b"]) }
        #expect(throws: FlotillaClientError.self) { try FlotillaClient.labelSelector(["a=b": "c"]) }
        #expect(throws: FlotillaClientError.self) { try FlotillaClient.labelSelector(["": "c"]) }
    }

    @Test(arguments: [
        ("550E8400-E29B-41D4-A716-446655440000", InstanceReference.id("550e8400-e29b-41d4-a716-446655440000")),
        ("550e8400-e29b-41d4-a716-446655440000", .id("550e8400-e29b-41d4-a716-446655440000")),
        ("web-server", .name("web-server")),
        ("550e8400", .name("550e8400")),
    ])
    func idOrName(text: String, reference: InstanceReference) {
        #expect(InstanceReference(text) == reference)
    }
}

@Suite("Output")
struct OutputFormatterTests {
    static let created = Date(timeIntervalSince1970: 1_717_495_200)  // 2024-06-04T10:00:00Z

    static func instance(
        id: String = "550e8400-e29b-41d4-a716-446655440000", name: String = "web", state: String = "running",
        worker: String? = "host-a", cores: Double? = 2, memory: Int64? = 536_870_912
    ) -> Compute.Instance {
        Compute.Instance(
            id: id, name: name, type: "container", backend: "docker", state: state, status: "healthy",
            stateDescription: nil, desiredState: "running", workerId: worker,
            config: Compute.Config(image: "nginx:alpine", ports: ["8080:80"]),
            resources: Compute.Resources(cpu: Compute.CPU(cores: cores), memory: Compute.Memory(limit: memory)),
            metadata: Compute.Metadata(labels: ["tier": "front", "app": "web"]), placement: nil,
            createdAt: created, updatedAt: created, launchedAt: nil)
    }

    @Test func instanceListTable() {
        let list = Compute.InstanceList(
            instances: [
                Self.instance(),
                Self.instance(
                    id: "6ba7b810-9dad-11d1-80b4-00c04fd430c8", name: "db-primary", state: "stopped", worker: nil,
                    cores: 0.5, memory: nil),
            ],
            total: 2, page: 1, pageSize: 50)
        #expect(
            OutputFormatter.instanceList(list) == """
                ID                                     NAME         BACKEND   TYPE        STATE     WORKER   CPU   MEMORY   CREATED
                550e8400-e29b-41d4-a716-446655440000   web          docker    container   running   host-a   2     512MiB   2024-06-04T10:00:00Z
                6ba7b810-9dad-11d1-80b4-00c04fd430c8   db-primary   docker    container   stopped   -        0.5   -        2024-06-04T10:00:00Z

                """)
    }

    @Test func partialPageHasAFooterAndEmptyListsSaySo() {
        let page = Compute.InstanceList(instances: [Self.instance()], total: 7, page: 3, pageSize: 1)
        #expect(OutputFormatter.instanceList(page).hasSuffix("Showing 3-3 of 7 (page 3, 1 per page).\n"))
        #expect(OutputFormatter.instanceList(.init(instances: [], total: 0, page: 1, pageSize: 50)) == "No instances.\n")
    }

    @Test func instanceDetailLines() {
        var instance = Self.instance()
        instance.applied = "nextStart"
        let text = OutputFormatter.instanceDetail(instance)
        #expect(text.hasPrefix("ID:            550e8400-e29b-41d4-a716-446655440000\nName:          web\n"))
        #expect(text.contains("Labels:        app=web, tier=front\n"))
        #expect(text.contains("Memory:        512MiB\n"))
        #expect(text.contains("Ports:         8080:80\n"))
        #expect(text.hasSuffix("Applied:       on next start\n"))
    }

    @Test func actionResults() {
        #expect(
            OutputFormatter.actionResult("stop", Self.instance(state: "stopping"), accepted: true)
                == "web (550e8400-e29b-41d4-a716-446655440000): stop accepted, now stopping\n")
        #expect(
            OutputFormatter.actionResult("start", Self.instance(), accepted: false)
                == "web (550e8400-e29b-41d4-a716-446655440000): running\n")
    }

    @Test func usageTable() {
        let usage = Compute.Usage(
            cpu: .init(usage: 45.2, cores: 2), memory: .init(used: 1_073_741_824, limit: 2_147_483_648, percentage: 50),
            storage: .init(used: 5_368_709_120, total: 10_737_418_240), network: .init(rxBytes: 1_024_000, txBytes: 2_048),
            observedAt: Self.created)
        #expect(
            OutputFormatter.usage(usage) == """
                RESOURCE     USED      LIMIT     PERCENT
                cpu          45.2%     2 cores   -
                memory       1GiB      2GiB      50.0%
                storage      5GiB      10GiB     50.0%
                network rx   1000KiB   -         -
                network tx   2KiB      -         -
                Observed at 2024-06-04T10:00:00Z.

                """)
    }

    @Test func jsonOutputIsTheWireJSON() throws {
        let instance = Self.instance()
        let text = try OutputFormatter.json(instance)
        #expect(text.contains("\"createdAt\" : \"2024-06-04T10:00:00Z\""))
        #expect(text.hasSuffix("}\n"))
        #expect(try WireJSON.decoder().decode(Compute.Instance.self, from: Data(text.utf8)) == instance)
    }

    @Test func newKeyShowsTheSecretOnce() {
        let key = Keys.Key(id: "k-1", name: "ci", role: "operator", fingerprint: "1a2b3c4d", createdAt: Self.created)
        let text = OutputFormatter.keyCreated(Keys.Created(key: key, secret: "flk_abcdef123"))
        #expect(text.components(separatedBy: "flk_abcdef123").count == 2)
        #expect(text.contains("shown only this once"))
        #expect(OutputFormatter.keyList(Keys.List(keys: [])) == "No API keys.\n")
        #expect(
            OutputFormatter.keyList(Keys.List(keys: [key]))
                == "ID    NAME   ROLE       FINGERPRINT   CREATED\nk-1   ci     operator   1a2b3c4d      2024-06-04T10:00:00Z\n")
    }
}

@Suite("Transport without a server")
struct ClientTransportTests {
    @Test func refusedConnectionFailsFastAsUnreachable() async throws {
        let start = ContinuousClock.now
        let error = await #expect(throws: FlotillaClientError.self) {
            try await FlotillaClient.withClient(baseURL: "http://127.0.0.1:1", apiKey: nil, timeout: .seconds(30)) {
                try await $0.health()
            }
        }
        guard case .unreachable(let url, _) = error else {
            Issue.record("expected .unreachable, got \(String(describing: error))")
            return
        }
        #expect(url == "http://127.0.0.1:1/health")
        #expect(ContinuousClock.now - start < .seconds(10))
    }

    @Test func malformedBaseURLIsAUsageError() async throws {
        await #expect(
            throws: FlotillaClientError.invalidRequest(
                "invalid server URL 'localhost:8080': expected http://HOST[:PORT] or https://HOST[:PORT]")
        ) {
            try await FlotillaClient(baseURL: "localhost:8080", apiKey: nil).listKeys()
        }
    }
}
