import ArgumentParser

/// `flotilla-bench`: benchmarks that print the figures recorded in docs/benchmarks.md.
@main
struct BenchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "flotilla-bench", abstract: "Flotilla benchmarks (run with swift run -c release).",
        subcommands: [
            HTTPBenchCommand.self, RegistryBenchCommand.self, DockerBenchCommand.self, KVMBenchCommand.self, PlacementBenchCommand.self,
            CreateBenchCommand.self,
            ProxyBenchCommand.self, OutOfBandBenchCommand.self, FloodBenchCommand.self, TLSBenchCommand.self, FleetBenchCommand.self,
            ObservabilityBenchCommand.self, MigrationBenchCommand.self, PostgresBenchCommand.self,
        ])
}
