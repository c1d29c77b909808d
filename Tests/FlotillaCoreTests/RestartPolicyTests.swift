import FlotillaCore
import Foundation
import Testing

@Suite struct RestartPolicyTests {
    @Test(arguments: [
        ("no", RestartPolicy.never), ("never", .never), ("always", .always), ("unless-stopped", .always),
        ("on-failure", .onFailure()), ("on-failure:3", .onFailure(maxAttempts: 3)), (" always ", .always),
    ])
    func parsesDockersSpelling(_ raw: String, _ expected: RestartPolicy) throws {
        #expect(try RestartPolicy.parse(raw) == expected)
    }

    @Test(arguments: ["", "sometimes", "on-failure:0", "on-failure:-1", "on-failure:x", "on-failure:1001", "ALWAYS"])
    func refusesAnythingElse(_ raw: String) {
        #expect(throws: FlotillaError.self) { try RestartPolicy.parse(raw) }
    }

    @Test func limits() throws {
        #expect(RestartPolicy.never.attemptLimit == 0)
        #expect(RestartPolicy.always.attemptLimit == nil)
        #expect(RestartPolicy.onFailure().attemptLimit == RestartPolicy.defaultMaxAttempts)
        #expect(RestartPolicy.onFailure(maxAttempts: 2).description == "on-failure:2")
        #expect(throws: FlotillaError.self) { try RestartPolicy(mode: .always, maxAttempts: 2).validate() }
        try RestartPolicy.onFailure(maxAttempts: 2).validate()
    }

    @Test(arguments: [(1, 1.0), (2, 2.0), (3, 4.0), (6, 32.0), (7, 60.0), (40, 60.0)])
    func backoffDoublesUpToItsMaximum(_ attempt: Int, _ delay: TimeInterval) {
        #expect(RestartBackoff(initial: 1, maximum: 60).delay(beforeAttempt: attempt) == delay)
    }

    /// Records written before restart policies existed decode with no policy: the default one applies.
    @Test func olderRecordsDecode() throws {
        let spec = InstanceSpec(config: InstanceConfig(image: "x"))
        var json = try JSONSerialization.jsonObject(with: JSONEncoder().encode(spec)) as? [String: Any] ?? [:]
        json["restartPolicy"] = nil
        let decoded = try JSONDecoder().decode(InstanceSpec.self, from: JSONSerialization.data(withJSONObject: json))
        #expect(decoded.restartPolicy == nil && decoded.effectiveRestartPolicy == .always)
    }
}
