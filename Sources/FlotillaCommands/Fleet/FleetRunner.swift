import ArgumentParser
import FlotillaAPI
import FlotillaClient

/// How `flotilla fleet create|migrate|delete` end: the answer printed (table or JSON), and exit status 1 when
/// the instance is in the error state, or when `--wait` was given and the server answered before it settled
/// (202: its action timeout, 60 s by default, ran out).
enum FleetRunner {
    /// A request timeout above the server's longest wait (its action timeout) plus a margin.
    static let waitingTimeout = Duration.seconds(150)

    /// `printed`: the caller printed the answer already (its own way).
    static func finish(
        _ action: String, _ vm: Global.VM, accepted: Bool, waited: Bool, _ options: ClientOptions, printed: Bool = false
    ) throws {
        if !printed { try ClientRunner.emit(vm, options) { OutputFormatter.fleetActionResult(action, $0, accepted: accepted) } }
        if vm.observed.state == "error" {
            ClientRunner.printError("error: \(vm.name) (\(vm.id)) is in state error: \(vm.observed.description ?? "no reason given")")
            throw ExitCode(1)
        }
        if waited && accepted {
            ClientRunner.printError(
                "error: \(action) of \(vm.name) (\(vm.id)) did not finish within the server's action timeout; "
                    + "it is \(vm.observed.state). See: flotilla fleet get \(vm.id)")
            throw ExitCode(1)
        }
    }
}
