import ArgumentParser
import FlotillaAPI
import FlotillaClient
import FlotillaCore
import Foundation

/// The backend a VM runs on (`metadata.backend`).
enum VMBackend: String, ExpressibleByArgument, CaseIterable, Sendable {
    case sim, kvm
}

struct VMCreateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "create",
        abstract: "Create a VM from a flavor and an image and (unless --no-wait) wait until it is ACTIVE.",
        discussion: """
            The backend is --backend, else the host's default (kvm when the host has it, else sim). The image must \
            carry what the backend needs (kvm: a kernel; sim: nothing), see `flotilla image get ID`.
            """
    )

    /// The server's limit on `user_data`, in characters.
    static let maxUserDataLength = 65535

    @OptionGroup var client: ClientOptions

    @Argument(help: "The VM name.")
    var name: String

    @Option(help: "The flavor id (see `flotilla flavor list`).")
    var flavor: String

    @Option(help: "The image id (see `flotilla image list`).")
    var image: String

    @Option(help: "A description.")
    var description: String?

    @Option(help: "The name of an SSH key pair.")
    var keyName: String?

    @Option(help: "A file whose text is passed as user data (cloud-init), at most 65535 characters.")
    var userDataFile: String?

    @Option(help: "The network id: a Flotilla network gives the VM an interface on it (any other id is only kept).")
    var network: String?

    @Option(help: "A fixed IPv4 address on the Flotilla network --network names (allocated when left out).")
    var ipAddress: String?

    @Option(help: "The availability zone.")
    var zone: String?

    @Option(help: "Backend: sim or kvm (default: the host's).")
    var backend: VMBackend?

    @Option(name: .customLong("metadata"), help: "A metadata pair k=v (repeatable).")
    var metadata: [String] = []

    @OptionGroup var waiting: WaitOptions

    @Option(help: "An Idempotency-Key: retrying with the same key and arguments does not create twice.")
    var idempotencyKey: String?

    func validate() throws {
        _ = try metadataMap()
        if let ipAddress {
            guard network != nil else { throw ValidationError("--ip-address needs --network") }
            guard IPv4Address(ipAddress) != nil else {
                throw ValidationError("--ip-address '\(ipAddress)' is not an IPv4 address, e.g. 10.77.0.10")
            }
        }
    }

    func run() async throws {
        let request = try makeRequest()
        let (wait, seconds, key) = (waiting.wait, waiting.seconds(), idempotencyKey)
        try await ActionRunner.run(
            client, expecting: .vm("create", target: "ACTIVE", waitSeconds: seconds), named: "VM \(name)",
            followUp: "flotilla vm get \(name)"
        ) { api in
            let (vm, accepted) = try await api.createVM(request, wait: wait, idempotencyKey: key, waitSeconds: seconds)
            return ActionRunner.Reply<VMs.VM>.vm(vm, accepted: accepted)
        }
    }

    /// The wire request for these arguments; an unreadable user-data file or a malformed pair is a `ValidationError`.
    func makeRequest() throws -> VMs.CreateRequest {
        var userData: String?
        if let userDataFile {
            guard let data = FileManager.default.contents(atPath: userDataFile) else {
                throw ValidationError("cannot read --user-data-file \(userDataFile)")
            }
            guard let text = String(data: data, encoding: .utf8) else {
                throw ValidationError("--user-data-file \(userDataFile) is not UTF-8 text")
            }
            guard text.count <= Self.maxUserDataLength else {
                throw ValidationError("--user-data-file \(userDataFile) has more than \(Self.maxUserDataLength) characters")
            }
            userData = text
        }
        return VMs.CreateRequest(
            name: name, flavorId: flavor, imageId: image, description: description, keyName: keyName,
            userData: userData, networkId: network, ipAddress: ipAddress, availabilityZone: zone, metadata: try metadataMap())
    }

    private func metadataMap() throws -> [String: String]? {
        do {
            return try VMMetadata.build(metadata, backend: backend?.rawValue)
        } catch let error as InvalidInput {
            throw ValidationError(error.message)
        }
    }
}
