import FlotillaCore
import Foundation
import Testing

extension StoreContract {
    /// Runs `body`, failing with ``ContractFailure`` when it does not finish within `seconds`
    /// (the body is cancelled then).
    public static func withDeadline<T: Sendable>(
        seconds: Double, _ what: String, _ body: @escaping @Sendable () async throws -> T
    ) async throws -> T {
        try await withThrowingTaskGroup(of: DeadlineOutcome<T>.self) { group in
            group.addTask { .done(try await body()) }
            group.addTask {
                try await Task.sleep(for: .seconds(seconds))
                return .timedOut
            }
            defer { group.cancelAll() }
            switch try await group.next() {
            case .done(let value): return value
            case .timedOut, nil: throw ContractFailure("timed out after \(seconds) s: \(what)")
            }
        }
    }

    /// Polls `condition` every 50 ms until it holds, failing after `seconds`.
    public static func waitUntil(
        seconds: Double = 10, _ what: String, _ condition: @escaping @Sendable () async throws -> Bool
    ) async throws {
        // The deadline also cuts off a condition that hangs (a store call that never answers).
        try await withDeadline(seconds: seconds, what) {
            try await eventually(what, timeout: .seconds(seconds) + .seconds(1)) { try await condition() }
        }
    }

    /// Reads `stream` until `done` holds for the events read so far (or the stream ends), within `seconds`.
    /// Checks on the way that batches are never empty, in revision order, and never split a revision.
    public static func collect(
        _ stream: AsyncThrowingStream<WatchBatch, any Error>, seconds: Double = 10, _ what: String,
        until done: @escaping @Sendable ([WatchEvent]) -> Bool
    ) async throws -> [WatchEvent] {
        try await withDeadline(seconds: seconds, what) {
            var events: [WatchEvent] = []
            for try await batch in stream {
                #expect(!batch.events.isEmpty, "a watch batch is never empty")
                if let first = batch.events.first, let previous = events.last {
                    #expect(first.revision > previous.revision, "batches are in revision order and whole")
                }
                #expect(zip(batch.events, batch.events.dropFirst()).allSatisfy { $0.revision <= $1.revision })
                events += batch.events
                if done(events) { break }
            }
            return events
        }
    }

    /// Reads `stream` until an event for `key` arrives; returns the events before it, and it.
    public static func collect(
        _ stream: AsyncThrowingStream<WatchBatch, any Error>, seconds: Double = 10, untilKey key: String
    ) async throws -> (before: [WatchEvent], sentinel: WatchEvent) {
        let events = try await collect(stream, seconds: seconds, "watch until \(key)") { events in
            events.contains { $0.kv.key == key }
        }
        guard let index = events.firstIndex(where: { $0.kv.key == key }) else {
            throw ContractFailure("the watch ended before an event for \(key)")
        }
        return (Array(events[..<index]), events[index])
    }

    /// A key prefix no other test uses, so tests may share one store.
    public static func uniquePrefix(_ test: String) -> String {
        "/contract/\(test)/\(UUID().uuidString.prefix(8))/"
    }

    static func bytes(_ string: String) -> Data { Data(string.utf8) }
    static func text(_ data: Data?) -> String? { data.map { String(decoding: $0, as: UTF8.self) } }

    /// The (kind, key, value) of each event, for readable comparisons.
    static func summary(_ events: [WatchEvent]) -> [String] {
        events.map { "\($0.kind.rawValue) \($0.kv.key)\($0.kind == .put ? "=" + (text($0.kv.value) ?? "") : "")" }
    }
}

/// How a race between a body and its deadline ended.
private enum DeadlineOutcome<T: Sendable>: Sendable {
    case done(T)
    case timedOut
}
