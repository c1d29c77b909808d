import Foundation

/// Where a page of a listing starts: after the instance created at `createdAtMillis` with `id`. Opaque to
/// clients: base64url of `v1:<millis>:<id>`.
public struct PageCursor: Sendable, Equatable {
    /// The position in listing order the cursor names: the page starts after it.
    public var key: CreationKey
    public var createdAtMillis: Int64 { key.millis }
    public var id: String { key.id }

    public init(createdAtMillis: Int64, id: String) { key = CreationKey(millis: createdAtMillis, id: id) }

    public init(after instance: Instance) { key = CreationKey(instance) }

    /// The opaque form.
    public var encoded: String {
        Data("v1:\(createdAtMillis):\(id)".utf8).base64EncodedString()
            .replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }

    /// Decodes the opaque form; VALIDATION_ERROR (field `cursor`) for anything this server did not hand out.
    public static func decode(_ raw: String) throws(FlotillaError) -> PageCursor {
        var base64 = raw.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        while base64.count % 4 != 0 { base64 += "=" }
        let invalid = FlotillaError(
            .validationError, "cursor is not a cursor this API returned; start again without it",
            details: ["field": "cursor"])
        guard raw.count <= 256, let data = Data(base64Encoded: base64), let text = String(data: data, encoding: .utf8) else {
            throw invalid
        }
        let parts = text.split(separator: ":", maxSplits: 2, omittingEmptySubsequences: false)
        guard parts.count == 3, parts[0] == "v1", let millis = Int64(parts[1]), millis >= 0, !parts[2].isEmpty else {
            throw invalid
        }
        return PageCursor(createdAtMillis: millis, id: String(parts[2]))
    }
}

/// Which live instances a global listing selects. nil fields select everything.
public struct InstanceFilter: Sendable, Equatable {
    public var host: String?
    public var zone: String?
    public var states: Set<InstanceState>?
    public var backend: BackendKind?
    public var kind: InstanceKind?
    public var selector: LabelSelector

    public init(
        host: String? = nil, zone: String? = nil, states: Set<InstanceState>? = nil, backend: BackendKind? = nil,
        kind: InstanceKind? = nil, selector: LabelSelector = LabelSelector()
    ) {
        self.host = host
        self.zone = zone
        self.states = states
        self.backend = backend
        self.kind = kind
        self.selector = selector
    }

    func matches(_ i: Instance, in state: RegistryState) -> Bool {
        if let host, i.workerId != host { return false }
        if let zone, i.workerId.flatMap({ state.workers[$0]?.value.zone }) != zone { return false }
        if let states, !states.contains(i.state) { return false }
        if let backend, i.backend != backend { return false }
        if let kind, i.kind != kind { return false }
        return selector.matches(i.spec.labels)
    }
}

/// One page of a listing and the cursor of the next (nil on the last page).
public struct InstancePage: Sendable, Equatable {
    public var items: [Instance]
    public var next: PageCursor?
}

/// Cursor paging over the registry's live instances, oldest first. Pure.
public enum InstanceQuery {
    public static func page(_ state: RegistryState, filter: InstanceFilter, after: PageCursor?, limit: Int) -> InstancePage {
        // In listing order from the cursor: the page reads what it shows and what the filter skips on the way.
        let matching = state.instances.oldestFirst(after: after?.key).lazy.map(\.value).filter {
            $0.isLive && filter.matches($0, in: state)
        }
        // One more than the page: whether there is a next one.
        let first = Array(matching.prefix(limit + 1))
        let items = Array(first.prefix(limit))
        let next = first.count > limit ? items.last.map(PageCursor.init(after:)) : nil
        return InstancePage(items: items, next: next)
    }
}
