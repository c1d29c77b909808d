#!/usr/bin/env python3
"""Checks a Flotilla host's gRPC server reflection with grpcio-reflection's own client (v1alpha, as grpcurl and
older clients speak it). Usage: grpc_reflection_check.py HOST:PORT API_KEY

Lists the services, resolves the MicroVM service's file and a message through a DescriptorPool fed only by
reflection (so every import must come over the wire too), and checks that an unknown symbol is not found.
Prints one line per check and exits 0 when all hold, 1 otherwise. Run by MicroVMReflectionTests; the test
command installs grpcio and grpcio-reflection into .build/grpc-reflection-venv (scripts/test.sh).
"""
import collections
import sys

import grpc
from google.protobuf.descriptor_pool import DescriptorPool
from grpc_reflection.v1alpha.proto_reflection_descriptor_database import ProtoReflectionDescriptorDatabase

SERVICES = [
    "grpc.reflection.v1.ServerReflection",
    "grpc.reflection.v1alpha.ServerReflection",
    "microvm.services.api.v1alpha1.MicroVM",
]


class _Details(
    collections.namedtuple("_Details", ("method", "timeout", "metadata", "credentials", "wait_for_ready", "compression")),
    grpc.ClientCallDetails,
):
    pass


class _Key(grpc.StreamStreamClientInterceptor):
    """Sends the API key on every call, as grpcurl does with -H 'authorization: bearer KEY', with a deadline."""

    def __init__(self, key):
        self._metadata = [("authorization", "bearer " + key)]

    def intercept_stream_stream(self, continuation, details, request_iterator):
        details = _Details(
            details.method,
            details.timeout if details.timeout is not None else 30,
            list(details.metadata or []) + self._metadata,
            details.credentials,
            details.wait_for_ready,
            details.compression,
        )
        return continuation(details, request_iterator)


def main():
    target, key = sys.argv[1], sys.argv[2]
    channel = grpc.intercept_channel(grpc.insecure_channel(target), _Key(key))
    try:
        failures = checks(channel)
    except grpc.RpcError as error:
        print("FAIL reflection call: %s %s" % (error.code(), error.details()))
        return 1
    finally:
        channel.close()
    print("reflection checks: %d of 8 hold" % (8 - len(failures)))
    return 1 if failures else 0


def checks(channel):
    """Runs the checks on `channel`; returns the names of those that failed."""
    failures = []

    def check(name, ok, detail=""):
        print(("ok   " if ok else "FAIL ") + name + (": " + str(detail) if detail else ""))
        if not ok:
            failures.append(name)

    db = ProtoReflectionDescriptorDatabase(channel)
    services = sorted(db.get_services())
    check("list_services", services == SERVICES, services)

    pool = DescriptorPool(db)
    service = pool.FindServiceByName("microvm.services.api.v1alpha1.MicroVM")
    methods = sorted(m.name for m in service.methods)
    check(
        "MicroVM service methods",
        methods == ["CreateMicroVM", "DeleteMicroVM", "GetMicroVM", "ListMicroVMs", "ListMicroVMsStream"],
        methods,
    )
    check("MicroVM service file", service.file.name == "microvm/services/api/v1alpha1/microvms.proto", service.file.name)
    create = service.methods_by_name["CreateMicroVM"]
    check("CreateMicroVM input", create.input_type.full_name == "microvm.services.api.v1alpha1.CreateMicroVMRequest")

    spec = pool.FindMessageTypeByName("flintlock.types.MicroVMSpec")
    check("MicroVMSpec fields", "interfaces" in spec.fields_by_name and "additional_volumes" in spec.fields_by_name)
    created_at = spec.fields_by_name["created_at"].message_type.full_name
    check("imports resolved (google.protobuf.Timestamp)", created_at == "google.protobuf.Timestamp", created_at)
    iface = pool.FindEnumTypeByName("flintlock.types.NetworkInterface.IfaceType")
    check("nested enum", sorted(iface.values_by_name) == ["MACVTAP", "TAP"], sorted(iface.values_by_name))

    try:
        db.FindFileContainingSymbol("no.such.Symbol")
        check("unknown symbol not found", False, "found")
    except KeyError:
        check("unknown symbol not found", True)
    return failures


if __name__ == "__main__":
    sys.exit(main())
