import FlotillaCore

extension OpenAPISchemas {
    /// Surface C (`VMs` wire types, snake_case; their custom encoders write every optional, as null).
    static let vms: [String: JSONValue] = [
        "VM": object([
            "uuid": string, "name": string, "state": oneOf(VMMapping.stateNames), "state_description": orNull(string),
            "flavor_id": orNull(string), "image_id": string, "vcpus": integer, "memory_mb": integer, "disk_gb": integer,
            "ip_address": orNull(string), "floating_ip": orNull(string), "description": orNull(string), "key_name": orNull(string),
            "openstack_id": .object(["type": "null"]), "created_at": dateTime, "updated_at": dateTime,
            "launched_at": orNull(dateTime), "terminated_at": orNull(dateTime), "is_running": boolean, "is_stopped": boolean,
            "is_transitioning": boolean, "id": string, "status": oneOf(vmStatuses), "worker_id": orNull(string),
            "backend": oneOf(BackendKind.allCases.map(\.rawValue)),
        ]),
        "VMList": object([
            "items": array(ref("VM")), "vms": array(ref("VM")), "total": integer, "page": integer, "page_size": integer,
            "pages": integer,
        ]),
        "VMActionResult": object([
            "vm_uuid": string, "action": oneOf(["start", "stop", "reboot_soft", "reboot_hard", "delete"]),
            "status": oneOf(["success", "in_progress"]), "message": string, "previous_state": oneOf(VMMapping.stateNames),
            "current_state": oneOf(VMMapping.stateNames), "timestamp": dateTime,
        ]),
        "VMCreateRequest": .object([
            "type": "object",
            "properties": .object([
                "name": name(.instance), "flavor_id": string(minLength: 1, maxLength: 255),
                "image_id": string(minLength: 1, maxLength: 255), "description": string(maxLength: 1000),
                "key_name": string(maxLength: 255), "user_data": string(maxLength: 65535), "network_id": string(maxLength: 255),
                "ip_address": ipv4,
                "security_groups": stringArray, "availability_zone": string(maxLength: 255),
                "metadata": .object([
                    "type": "object", "additionalProperties": string,
                    "properties": .object([
                        "backend": oneOf(BackendKind.allCases.filter { $0.supportedKinds.contains(.vm) }.map(\.rawValue))
                    ]),
                ]),
            ]),
            "required": .array(["name", "flavor_id", "image_id"]),
        ]),
        "VMUpdateRequest": .object([
            "type": "object",
            "properties": .object(["name": name(.instance), "description": string(maxLength: 1000)]),
        ]),
        "VMRebootRequest": .object(["type": "object", "properties": .object(["reboot_type": oneOf(["SOFT", "HARD"])])]),
        "Flavor": object([
            "id": string, "name": string, "vcpus": integer, "memory_mb": integer, "disk_gb": integer, "ephemeral_gb": integer,
            "swap_mb": integer, "is_public": boolean, "description": orNull(string),
        ]),
        "FlavorList": object(["items": array(ref("Flavor")), "total": integer]),
        "FlavorCreateRequest": .object([
            "type": "object",
            "properties": .object([
                "id": catalogId, "name": name(.flavor), "vcpus": integer(1...1024),
                "memory_mb": integer(4...16_777_216), "disk_gb": integer(0...1_048_576), "ephemeral_gb": integer(0...1_048_576),
                "swap_mb": integer(0...16_777_216), "is_public": boolean, "description": string(maxLength: 1000),
            ]),
            "required": .array(["name", "vcpus", "memory_mb", "disk_gb"]),
        ]),
        "ImageArtifacts": object([
            "docker_reference": orNull(string), "kernel_path": orNull(string), "initrd_path": orNull(string),
            "root_disk_path": orNull(string), "root_disk_format": orNull(oneOf(["raw", "qcow2"])),
        ]),
        "Image": object([
            "id": string, "name": string, "status": string, "size_bytes": integer, "min_disk_gb": integer, "min_memory_mb": integer,
            "os_distro": string, "os_version": string, "architecture": string, "created_at": dateTime, "description": orNull(string),
            "artifacts": ref("ImageArtifacts"), "backends": array(oneOf(BackendKind.allCases.map(\.rawValue))),
        ]),
        "ImageList": object(["items": array(ref("Image")), "total": integer]),
        "ImageCreateRequest": .object([
            "type": "object", "properties": .object(imageFields.merging(["id": catalogId]) { a, _ in a }), "required": .array(["id"]),
        ]),
        "ImageReplaceRequest": .object(["type": "object", "properties": .object(imageFields.merging(["id": catalogId]) { a, _ in a })]),
        "VMHealth": object([
            "status": oneOf(["healthy", "degraded"]), "version": string, "timestamp": dateTime, "database": string,
            "backends": map(object(["status": oneOf(["healthy", "unhealthy"]), "version": string], optional: ["reason": string])),
            "cluster": object(
                [
                    "host_id": string, "store": string, "revision": integer, "workers": integer, "active_workers": integer,
                    "instances": integer, "vms": integer,
                ], optional: ["leader_id": string]),
        ]),
        "VMRoot": object(["name": string, "version": string, "docs": string, "openapi": string]),
    ]

    /// Catalog ids: store keys and URL parts.
    static let catalogId = string(minLength: 1, maxLength: 64, pattern: "^[A-Za-z0-9._-]+$")

    /// The fields of an image import or replacement (without `id`).
    static let imageFields: [String: JSONValue] = [
        "name": name(.image), "size_bytes": integer(0...Int64.max),
        "min_disk_gb": integer(0...1_048_576), "min_memory_mb": integer(0...16_777_216), "os_distro": string(maxLength: 255),
        "os_version": string(maxLength: 255), "architecture": string(minLength: 1, maxLength: 64),
        "description": string(maxLength: 1000), "docker_reference": string(minLength: 1, maxLength: 1024),
        "kernel_path": string(minLength: 1, maxLength: 4096, pattern: "^/"),
        "initrd_path": string(minLength: 1, maxLength: 4096, pattern: "^/"),
        "root_disk_path": string(minLength: 1, maxLength: 4096, pattern: "^/"), "root_disk_format": oneOf(["raw", "qcow2"]),
    ]

    /// Surface C's lowercase `status` names.
    static var vmStatuses: [String] {
        var seen: [String] = []
        for s in InstanceState.allCases where !seen.contains(VMMapping.status(s)) { seen.append(VMMapping.status(s)) }
        return seen
    }
}
