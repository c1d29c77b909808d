import FlotillaCore
import Foundation
import Logging

/// What a sim backend holds, as it writes it to its state file after every change (`--sim-state-file`): the
/// serve process's id and each instance's id and state. Sim instances live inside that process: when it is gone
/// nothing runs, and while it is stopped (SIGSTOP) they are frozen. The file is replaced atomically (written
/// aside, then renamed), so a reader never sees half of it.
public struct SimStateFile: Sendable, Codable, Equatable {
    public struct Entry: Sendable, Codable, Equatable {
        public var id: String
        /// `created`, `running`, `paused`, `stopped` or `error`.
        public var state: String
        public init(id: String, state: String) {
            self.id = id
            self.state = state
        }
    }

    public var pid: Int32
    public var instances: [Entry]

    public init(pid: Int32, instances: [Entry]) {
        self.pid = pid
        self.instances = instances
    }

    /// Reads the file at `path`.
    public static func read(_ path: String) throws -> SimStateFile {
        try JSONDecoder().decode(SimStateFile.self, from: Data(contentsOf: URL(fileURLWithPath: path)))
    }

    /// Writes it to `path` atomically.
    public func write(to path: String) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        try encoder.encode(self).write(to: URL(fileURLWithPath: path), options: .atomic)
    }
}

extension SimBackend {
    /// Writes the state file when one is configured; a failure is logged, never thrown (the simulation goes on).
    func writeStateFile() { Self.writeState(instances, configuration.stateFile, logger) }

    static func writeState(_ instances: [String: SimInstance], _ path: String?, _ logger: Logger) {
        guard let path else { return }
        let entries = instances.values.sorted { $0.id < $1.id }.map { SimStateFile.Entry(id: $0.id, state: $0.state.rawValue) }
        do {
            try SimStateFile(pid: getpid(), instances: entries).write(to: path)
        } catch {
            logger.warning("could not write the sim state file", metadata: ["path": "\(path)", "error": "\(error)"])
        }
    }
}
