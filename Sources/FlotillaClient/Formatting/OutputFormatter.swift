import FlotillaAPI
import Foundation

/// The `table` output of the `flotilla` client commands: what a person reads.
/// (The `json` output is the wire JSON, see ``json(_:)``.)
public enum OutputFormatter {
    /// The wire JSON of `value`, pretty-printed with sorted keys, ending in a newline.
    public static func json(_ value: some Encodable) throws -> String {
        let data = try WireJSON.encoder(pretty: true).encode(value)
        return String(decoding: data, as: UTF8.self) + "\n"
    }

    /// RFC 3339 UTC, whole seconds: `2024-06-04T10:00:00Z`.
    public static func timestamp(_ date: Date) -> String {
        date.formatted(.iso8601)
    }

    /// `2`, `0.5`, `1.25`: no trailing zeros.
    public static func number(_ value: Double) -> String {
        if value == value.rounded(), abs(value) < 1e15 { return String(Int64(value)) }
        var text = String(format: "%.2f", value)
        while text.hasSuffix("0") { text.removeLast() }
        if text.hasSuffix(".") { text.removeLast() }
        return text
    }

    /// The instance list: ID, NAME, BACKEND, TYPE, STATE, WORKER, CPU, MEMORY, CREATED, and a footer
    /// line when the page does not hold every instance.
    public static func instanceList(_ list: Compute.InstanceList) -> String {
        if list.instances.isEmpty {
            return list.total > 0
                ? "No instances on page \(list.page) (\(list.total) in total).\n" : "No instances.\n"
        }
        let rows = list.instances.map { instance in
            [
                instance.id, instance.name, instance.backend, instance.type, instance.state,
                instance.workerId ?? "-",
                instance.resources.cpu?.cores.map(number) ?? "-",
                instance.resources.memory?.limit.map(ByteSize.format) ?? "-",
                timestamp(instance.createdAt),
            ]
        }
        var text = TableRenderer(
            headers: ["ID", "NAME", "BACKEND", "TYPE", "STATE", "WORKER", "CPU", "MEMORY", "CREATED"], rows: rows
        ).render()
        if list.total > list.instances.count {
            let first = (list.page - 1) * list.pageSize + 1
            text +=
                "Showing \(first)-\(first + list.instances.count - 1) of \(list.total) (page \(list.page), \(list.pageSize) per page).\n"
        }
        return text
    }

    /// One instance as aligned `key: value` lines; empty fields are left out.
    public static func instanceDetail(_ instance: Compute.Instance) -> String {
        var pairs: [(String, String)] = [
            ("ID", instance.id),
            ("Name", instance.name),
            ("Type", instance.type),
            ("Backend", instance.backend),
            ("State", instance.state + (instance.stateDescription.map { " (\($0))" } ?? "")),
            ("Desired state", instance.desiredState),
            ("Status", instance.status),
            ("Worker", instance.workerId ?? "-"),
        ]
        let config = instance.config
        if let image = config.image { pairs.append(("Image", image)) }
        if let command = config.command, !command.isEmpty { pairs.append(("Command", command.joined(separator: " "))) }
        if let cores = instance.resources.cpu?.cores { pairs.append(("CPU", number(cores))) }
        if let memory = instance.resources.memory?.limit { pairs.append(("Memory", ByteSize.format(memory))) }
        if let storage = instance.resources.storage?.totalSpace { pairs.append(("Storage", ByteSize.format(storage))) }
        if let env = config.env, !env.isEmpty { pairs.append(("Env", env.joined(separator: ", "))) }
        if let ports = config.ports, !ports.isEmpty { pairs.append(("Ports", ports.joined(separator: ", "))) }
        if let volumes = config.volumes, !volumes.isEmpty { pairs.append(("Volumes", volumes.joined(separator: ", "))) }
        if let networks = config.networks, !networks.isEmpty {
            let lines = networks.map {
                interfaceLine(network: $0.network, address: $0.address, mac: $0.mac, mode: $0.mode, bridge: $0.bridge)
            }
            pairs.append(("Networks", lines.joined(separator: ", ")))
        }
        if let disks = config.disks, !disks.isEmpty {
            let lines = disks.map { diskLine(id: $0.id, image: $0.image, sizeBytes: $0.sizeBytes, readOnly: $0.readOnly) }
            pairs.append(("Disks", lines.joined(separator: ", ")))
        }
        if let kernel = config.kernelArguments { pairs.append(("Kernel args", kernel)) }
        if let initrd = config.initrdImage { pairs.append(("Initrd image", initrd)) }
        if let root = config.rootImage { pairs.append(("Root image", root)) }
        if let labels = instance.metadata.labels, !labels.isEmpty { pairs.append(("Labels", keyValues(labels))) }
        if let placement = instance.placement {
            var parts: [String] = []
            if let zone = placement.zone { parts.append("zone=\(zone)") }
            if let worker = placement.workerId { parts.append("worker=\(worker)") }
            if let strategy = placement.strategy { parts.append("strategy=\(strategy)") }
            if let labels = placement.workerLabels, !labels.isEmpty { parts.append("workerLabels={\(keyValues(labels))}") }
            if !parts.isEmpty { pairs.append(("Placement", parts.joined(separator: " "))) }
        }
        pairs.append(("Created", timestamp(instance.createdAt)))
        pairs.append(("Updated", timestamp(instance.updatedAt)))
        if let launched = instance.launchedAt { pairs.append(("Launched", timestamp(launched))) }
        if let applied = instance.applied {
            pairs.append(("Applied", applied == "live" ? "live" : applied == "nextStart" ? "on next start" : applied))
        }
        return TableRenderer.keyValueLines(pairs)
    }

    /// One interface: `vmnet 10.77.0.10 02:5e:0a:4d:00:0a`, `(address pending)` before it is allocated, with
    /// `macvtap` and `bridge=...` when asked for.
    static func interfaceLine(network: String, address: String?, mac: String?, mode: String?, bridge: String?) -> String {
        var parts = [network, address ?? "(address pending)"]
        if let mac { parts.append(mac) }
        if let mode, mode != "tap" { parts.append(mode) }
        if let bridge { parts.append("bridge=\(bridge)") }
        return parts.joined(separator: " ")
    }

    /// One disk: `data empty 8MiB`, `base image debian-disk read-only`.
    static func diskLine(id: String, image: String?, sizeBytes: Int64?, readOnly: Bool?) -> String {
        var parts = [id, image.map { "image \($0)" } ?? "empty"]
        if let sizeBytes { parts.append(ByteSize.format(sizeBytes)) }
        if readOnly == true { parts.append("read-only") }
        return parts.joined(separator: " ")
    }

    /// The outcome of a lifecycle action: `web (ID): running`, or for a 202
    /// `web (ID): stop accepted, now stopping`.
    public static func actionResult(_ action: String, _ instance: Compute.Instance, accepted: Bool) -> String {
        let subject = "\(instance.name) (\(instance.id))"
        if accepted {
            return "\(subject): \(action) accepted, now \(instance.state)\n"
        }
        return "\(subject): \(instance.state)\n"
    }

    /// Live usage as a small table: RESOURCE, USED, LIMIT, PERCENT, then the observation time.
    public static func usage(_ usage: Compute.Usage) -> String {
        func percent(_ used: Int64, _ total: Int64) -> String {
            total > 0 ? String(format: "%.1f%%", Double(used) / Double(total) * 100) : "-"
        }
        let rows = [
            ["cpu", String(format: "%.1f%%", usage.cpu.usage), "\(number(usage.cpu.cores)) cores", "-"],
            [
                "memory", ByteSize.format(usage.memory.used), ByteSize.format(usage.memory.limit),
                String(format: "%.1f%%", usage.memory.percentage),
            ],
            [
                "storage", ByteSize.format(usage.storage.used), ByteSize.format(usage.storage.total),
                percent(usage.storage.used, usage.storage.total),
            ],
            ["network rx", ByteSize.format(usage.network.rxBytes), "-", "-"],
            ["network tx", ByteSize.format(usage.network.txBytes), "-", "-"],
        ]
        return TableRenderer(headers: ["RESOURCE", "USED", "LIMIT", "PERCENT"], rows: rows).render()
            + "Observed at \(timestamp(usage.observedAt)).\n"
    }

    /// The key list: ID, NAME, ROLE, FINGERPRINT, CREATED (never a part of a secret).
    public static func keyList(_ list: Keys.List) -> String {
        if list.keys.isEmpty { return "No API keys.\n" }
        return TableRenderer(
            headers: ["ID", "NAME", "ROLE", "FINGERPRINT", "CREATED"],
            rows: list.keys.map { [$0.id, $0.name, $0.role, $0.fingerprint, timestamp($0.createdAt)] }
        ).render()
    }

    /// A new key, with its secret set apart and the warning that it is not shown again.
    public static func keyCreated(_ created: Keys.Created) -> String {
        """
        Created API key '\(created.name)' (id \(created.id), role \(created.role)).

        Secret (shown only this once; store it now):

            \(created.key)

        Use it as X-API-Key or through FLOTILLA_API_KEY.

        """
    }

    /// `k=v, k2=v2`, sorted by key.
    static func keyValues(_ pairs: [String: String]) -> String {
        pairs.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: ", ")
    }
}
