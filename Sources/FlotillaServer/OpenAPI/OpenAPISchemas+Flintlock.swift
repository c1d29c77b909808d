import FlotillaCore
import FlotillaFlintlock

extension OpenAPISchemas {
    /// Surface E's gateway JSON (proto/flintlock/types/microvm.proto and proto/microvm/services/api/v1alpha1/
    /// microvms.proto): protobuf's JSON mapping with every field present (`FlintlockJSON`): lowerCamelCase names,
    /// enum names, `null` for unset messages and `optional` fields. Requests may leave fields out.
    static let flintlock: [String: JSONValue] = [
        "FlintlockMicroVM": object([
            "version": integer, "spec": orNull(ref("FlintlockMicroVMSpec")), "status": orNull(ref("FlintlockMicroVMStatus")),
        ]),
        "FlintlockMicroVMSpec": object([
            "id": string, "namespace": string, "labels": stringMap, "vcpu": integer, "memoryInMb": integer,
            "kernel": orNull(ref("FlintlockKernel")), "initrd": orNull(ref("FlintlockInitrd")),
            "rootVolume": orNull(ref("FlintlockVolume")), "additionalVolumes": array(ref("FlintlockVolume")),
            "interfaces": array(ref("FlintlockNetworkInterface")), "metadata": stringMap, "createdAt": orNull(dateTime),
            "updatedAt": orNull(dateTime), "deletedAt": orNull(dateTime), "uid": orNull(string), "provider": orNull(string),
            "allowGuestAgent": boolean,
        ]),
        "FlintlockKernel": object([
            "image": string, "cmdline": stringMap, "filename": orNull(string), "addNetworkConfig": boolean,
        ]),
        "FlintlockInitrd": object(["image": string, "filename": orNull(string)]),
        "FlintlockNetworkInterface": object([
            "deviceId": string, "type": oneOf(["MACVTAP", "TAP"]), "guestMac": orNull(string),
            "address": orNull(object(["address": string, "gateway": orNull(string), "nameservers": stringArray])),
            "overrides": orNull(object(["bridgeName": orNull(string)])),
        ]),
        "FlintlockVolume": object([
            "id": string, "isReadOnly": boolean, "mountPoint": orNull(string),
            "source": orNull(object(["containerSource": orNull(string), "virtiofsSource": orNull(string)])),
            "partitionId": orNull(string), "sizeInMb": orNull(integer),
        ]),
        "FlintlockMount": object(["type": oneOf(["DEV", "HOSTPATH"]), "source": string]),
        "FlintlockMicroVMStatus": object([
            "state": oneOf(["PENDING", "CREATED", "FAILED", "DELETING"]),
            "volumes": map(object(["mount": orNull(ref("FlintlockMount"))])), "kernelMount": orNull(ref("FlintlockMount")),
            "initrdMount": orNull(ref("FlintlockMount")),
            "networkInterfaces": map(object(["hostDeviceName": string, "index": integer, "macAddress": string])),
            "retry": integer, "vsockPath": string,
        ]),
        "FlintlockMicroVMResponse": object(["microvm": orNull(ref("FlintlockMicroVM"))]),
        "FlintlockMicroVMList": object(["microvm": array(ref("FlintlockMicroVM"))]),
        "FlintlockMicroVMOrList": .object(["oneOf": .array([ref("FlintlockMicroVMResponse"), ref("FlintlockMicroVMList")])]),
        "FlintlockEmpty": object([:]),
        // A CreateMicroVMRequest's `microvm` (the server also takes a bare MicroVMSpec, and `metadata` as protobuf
        // `Any` values); unknown fields are ignored, as grpc-gateway does.
        "FlintlockCreateRequest": .object([
            "type": "object",
            "properties": .object([
                "microvm": .object([
                    "type": "object",
                    "properties": .object([
                        "id": name(.microVM), "namespace": name(.namespace), "labels": stringMap, "vcpu": integer(0...Int64(Int32.max)),
                        "memoryInMb": integer(0...Int64(Int32.max)), "metadata": stringMap,
                        "provider": oneOf(FlintlockCreate.providers.map(\.rawValue)),
                        "kernel": .object([
                            "type": "object", "properties": .object(["image": string(minLength: 1), "cmdline": stringMap]),
                            "required": .array(["image"]),
                        ]),
                    ]),
                    "required": .array(["id", "kernel"]),
                ])
            ]),
            "required": .array(["microvm"]),
        ]),
    ]
}
