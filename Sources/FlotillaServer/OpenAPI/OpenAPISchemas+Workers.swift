import FlotillaCore

extension OpenAPISchemas {
    /// Surface B (`Workers` wire types, snake_case; `Worker` and `WorkerShare` write their optionals as null).
    static let workers: [String: JSONValue] = [
        "Worker": object([
            "id": string, "hostname": string, "address": string, "zone": orNull(string),
            "status": oneOf(WorkerStatus.allCases.map(\.rawValue)), "labels": stringMap, "capabilities": stringArray,
            "cpu_cores": number, "memory_mb": integer, "disk_gb": integer, "used_cpu_cores": number, "used_memory_mb": integer,
            "used_disk_gb": integer, "cpu_usage_percent": number, "memory_usage_percent": number, "vm_count": integer,
            "max_vms": integer, "started_at": dateTime, "last_seen": orNull(dateTime), "uptime": string, "is_healthy": boolean,
        ]),
        "WorkerList": object(["workers": array(ref("Worker")), "total": integer]),
        "WorkerVM": object(["id": string, "name": string, "status": oneOf(vmStatuses), "vcpus": number, "memory_mb": integer]),
        "WorkerVMs": object(["worker_id": string, "vms": array(ref("WorkerVM")), "total": integer]),
        "DrainRequest": .object([
            "type": "object", "properties": .object(["migrate": boolean, "deadline_seconds": integer(1...WorkerRoutes.maxDeadline)]),
        ]),
        "WorkerStatusChange": object(
            ["worker_id": string, "status": oneOf(WorkerStatus.allCases.map(\.rawValue)), "message": string],
            optional: ["migrated": stringArray, "not_migrated": stringArray, "moves": array(ref("DrainMove"))]),
        "DrainMove": object(
            [
                "id": string, "mode": oneOf(["live", "cold"]),
                "outcome": oneOf(["migrating", "moved", "failed"]),
            ], optional: ["to": string, "reason": string]),
        "ClusterStats": object([
            "total_workers": integer, "active_workers": integer, "draining_workers": integer, "offline_workers": integer,
            "total_cpu_cores": number, "total_memory_mb": integer, "used_cpu_cores": number, "used_memory_mb": integer,
            "available_cpu_cores": number, "available_memory_mb": integer, "cluster_cpu_usage_percent": number,
            "cluster_memory_usage_percent": number, "total_vms": integer, "max_vms": integer, "available_vm_slots": integer,
            "zones": map(integer),
        ]),
        "ClusterDistribution": object([
            "distribution": array(
                object([
                    "worker_id": string, "hostname": string, "zone": orNull(string), "vm_count": integer, "vms": array(ref("WorkerVM")),
                ])),
            "total_workers": integer,
        ]),
    ]
}
