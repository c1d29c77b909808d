import Crypto
import FlotillaAPI
import FlotillaCluster
import FlotillaCore
import Foundation
import Hummingbird

/// Surface C, the VM lifecycle API (docs/api/surface-c-vms.md), under `/api/v1/vms`. VMs are instances of kind `vm`:
/// the same records surface A shows, changed through the same ``InstanceService``.
struct VMRoutes {
    let deps: ServerDependencies
    static let base = "/api/v1/vms"

    func register(_ routes: Routes) {
        let b = Self.base
        routes.add(.get, b, permission: .read) { req, _ in try list(req) }
        routes.add(.post, b, permission: .operateInstances) { req, ctx in try await create(req, ctx) }
        routes.add(.get, "\(b)/:uuid", permission: .read) { _, ctx in
            JSONResponse.make(VMMapping.vm(try vm(try ctx.parameters.require("uuid"))))
        }
        routes.add(.patch, "\(b)/:uuid", permission: .operateInstances) { req, ctx in try await update(req, ctx) }
        routes.add(.delete, "\(b)/:uuid", permission: .operateInstances) { req, ctx in
            try await act(.delete, req, ctx)
        }
        routes.add(.post, "\(b)/:uuid/start", permission: .operateInstances) { req, ctx in try await act(.start, req, ctx) }
        routes.add(.post, "\(b)/:uuid/stop", permission: .operateInstances) { req, ctx in try await act(.stop, req, ctx) }
        routes.add(.post, "\(b)/:uuid/reboot", permission: .operateInstances) { req, ctx in
            var body = try await FieldReader.body(req, context: ctx, optional: true)
            let type = body.choice(VMs.RebootRequest.CodingKeys.rebootType.stringValue, ["SOFT", "HARD"]) ?? "SOFT"
            try body.check()
            return try await act(.restart, req, ctx, hard: type == "HARD")
        }
        routes.add(.post, "\(b)/:uuid/sync", permission: .operateInstances) { req, ctx in
            let current = try vm(try ctx.parameters.require("uuid"))
            // The live state is only known where it runs: the owner answers.
            if let relayed = try await OwnerProxy(deps: deps).forwardIfRemote(req, id: current.id, context: ctx) { return relayed }
            let written = try await deps.instances.sync(id: current.id)
            return JSONResponse.make(VMMapping.vm(written.instance))
        }
    }

    /// A live VM by uuid; 404 VM_NOT_FOUND for anything else (unknown, deleted, or a container).
    private func vm(_ uuid: String) throws -> Instance {
        guard let i = deps.registry.read({ $0.liveInstance(uuid.lowercased()) }), i.kind == .vm else {
            throw VMMapping.vmNotFound(uuid)
        }
        return i
    }

    // MARK: List

    private func list(_ req: Request) throws -> Response {
        var q = FieldReader(query: req)
        let page = Int(q.integer("page", range: 1...1_000_000) ?? 1)
        let pageSize = Int(q.integer("page_size", range: 1...100) ?? 20)
        let state = q.choice("state", VMMapping.stateNames)
        let needle = q.string("name", maxLength: 255)?.lowercased() ?? ""
        try q.check()
        let instances = deps.registry.snapshot.instances
        let matching = instances.newestFirst().lazy.map(\.value).filter { i in
            i.isLive && i.kind == .vm && (state == nil || VMMapping.state(i) == state)
                && (needle.isEmpty || i.name.lowercased().contains(needle))
        }
        let unfiltered = state == nil && needle.isEmpty
        let (slice, total) = PageWindow.select(
            matching, offset: (page - 1) * pageSize, count: pageSize, knownTotal: unfiltered ? instances.liveCount(kind: .vm) : nil)
        let pages = (total + pageSize - 1) / pageSize
        return JSONResponse.make(VMs.VMList(items: slice.map(VMMapping.vm), total: total, page: page, pageSize: pageSize, pages: pages))
    }

    // MARK: Create

    private func create(_ req: Request, _ ctx: FlotillaRequestContext) async throws -> Response {
        var q = FieldReader(query: req)
        let wait = q.bool("wait") ?? true
        let timeout = q.integer("timeout", range: 0...3600)
        try q.check()
        let fields = try await FieldReader.body(req, context: ctx)
        let body = try VMMapping.createBody(fields)
        let flavor = try deps.catalog.flavor(id: body.flavorId)
        let image = try deps.catalog.image(id: body.imageId)
        let request = try VMMapping.create(
            body, flavor: flavor, image: image, backend: body.backend ?? deps.defaultVMBackend,
            networks: deps.registry.read { $0.networks })
        let token = req.headers[.idempotencyKey].map { key in
            IdempotencyToken(keyDigest: Authenticator.digest("vms:" + key), requestDigest: Self.digest(fields.whole))
        }
        let written = try await deps.instances.create(request, idempotency: token)
        if written.replayed || !wait {
            return JSONResponse.make(VMMapping.vm(written.instance), status: written.replayed ? .ok : .accepted)
        }
        let (instance, settled) = await deps.instances.settle(written, timeout: timeout.map { .seconds($0) } ?? deps.actionTimeout)
        return JSONResponse.make(VMMapping.vm(instance), status: settled ? .created : .accepted)
    }

    /// A digest of a JSON body that ignores key order and spacing.
    static func digest(_ value: JSONValue) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let data = (try? encoder.encode(value)) ?? Data()
        return SHA256.hash(data: data).map { String(format: "%02x", $0) }.joined()
    }

    // MARK: Update

    private func update(_ req: Request, _ ctx: FlotillaRequestContext) async throws -> Response {
        let current = try vm(try ctx.parameters.require("uuid"))
        var body = try await FieldReader.body(req, context: ctx)
        typealias Field = VMs.UpdateRequest.CodingKeys
        let name = body.string(Field.name.stringValue, minLength: 1, maxLength: 255)
        let description = body.string(Field.description.stringValue, maxLength: 1000)
        try body.check()
        guard name != nil || description != nil else { return JSONResponse.make(VMMapping.vm(current)) }
        let changes: [String: String?] = description.map { [VMMapping.Key.description: $0] } ?? [:]
        let written: Written
        do {
            written = try await deps.instances.edit(id: current.id, name: name, metadata: changes)
        } catch {
            throw error.code == .instanceNotFound ? VMMapping.vmNotFound(current.id) : error
        }
        return JSONResponse.make(VMMapping.vm(written.instance))
    }

    // MARK: Actions

    /// Core errors of an action in this surface's terms.
    private static func translate(_ error: FlotillaError, _ vm: Instance, action: String) -> FlotillaError {
        switch error.code {
        case .invalidState: return VMMapping.invalidState(error, vm, action: action)
        case .instanceNotFound: return VMMapping.vmNotFound(vm.id)
        default: return error
        }
    }

    /// Runs an action synchronously: the reply is sent once the VM reached the target state (or the wait ran
    /// out: 202 with the transitional state). A VM that ends in `error` is a 502 BACKEND_ERROR.
    private func act(_ action: LifecycleAction, _ req: Request, _ ctx: FlotillaRequestContext, hard: Bool = false)
        async throws -> Response
    {
        var q = FieldReader(query: req)
        let wait = q.bool("wait") ?? true
        let timeout = q.integer("timeout", range: 0...3600)
        try q.check()
        let before = try vm(try ctx.parameters.require("uuid"))
        let name = VMMapping.actionName(action, hard: hard)
        let previous = VMMapping.state(before)
        let options = ActionOptions(hard: hard, rules: .vmAPI)
        guard LifecycleStateMachine.accepts(action, in: before.state, rules: options.rules) else {
            throw VMMapping.invalidState(FlotillaError(.invalidState, ""), before, action: name)
        }
        let written: Written
        do {
            written = try await deps.instances.perform(action, id: before.id, options: options)
        } catch {
            throw Self.translate(error, before, action: name)
        }
        var instance = written.instance
        var settled = instance.hasSettled
        if wait && !settled {
            (instance, settled) = await deps.instances.settle(written, timeout: timeout.map { .seconds($0) } ?? deps.actionTimeout)
        }
        if settled, instance.state == .error, action != .delete {
            throw FlotillaError(
                .backendError, "The \(instance.backend.rawValue) backend failed to \(name) VM \(instance.id)",
                details: [
                    "vm_id": .string(instance.id), "requested_action": .string(name), "current_state": .string(VMMapping.state(instance)),
                    "state_description": instance.stateDescription.map(JSONValue.string) ?? .null,
                ])
        }
        let result = VMMapping.actionResult(instance, action: name, previous: previous, settled: settled, now: deps.clock.now)
        return JSONResponse.make(result, status: settled ? .ok : .accepted)
    }
}
