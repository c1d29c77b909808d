import Foundation

/// Codable shapes of the Docker Engine API calls the docker backend makes (API 1.41). Only the fields
/// Flotilla reads or writes are declared; the daemon's other fields are ignored when decoding.
enum DockerWire {
    /// `GET /version`.
    struct Version: Decodable, Sendable {
        var Version: String
        var ApiVersion: String
        var MinAPIVersion: String?
    }

    /// The body of every error answer: `{"message": "..."}`.
    struct ErrorMessage: Decodable, Sendable {
        var message: String
    }

    /// `POST /containers/create`.
    struct ContainerCreate: Encodable, Sendable, Equatable {
        var Image: String
        var Cmd: [String]?
        var Env: [String]?
        var Labels: [String: String]
        var ExposedPorts: [String: Empty]?
        var Volumes: [String: Empty]?
        var HostConfig: HostConfig
        /// The MAC address on the first network (`HostConfig.NetworkMode`): API 1.41 sets it only there.
        var MacAddress: String? = nil
        var NetworkingConfig: DockerWire.NetworkingConfig? = nil
    }

    struct Empty: Codable, Sendable, Equatable {}

    struct HostConfig: Encodable, Sendable, Equatable {
        var NanoCpus: Int64
        var Memory: Int64
        var MemorySwap: Int64
        var Binds: [String]?
        var PortBindings: [String: [PortBinding]]?
        var NetworkMode: String?
        var Dns: [String]? = nil
    }

    struct PortBinding: Codable, Sendable, Equatable {
        var HostIp: String
        var HostPort: String
    }

    /// The answer of `POST /containers/create`.
    struct Created: Decodable, Sendable {
        var Id: String
    }

    /// `POST /containers/{id}/update`.
    struct Update: Encodable, Sendable {
        var NanoCpus: Int64
        var Memory: Int64
        var MemorySwap: Int64
    }

    /// `GET /containers/{id}/json`.
    struct ContainerInspect: Decodable, Sendable {
        struct State: Decodable, Sendable {
            var Status: String
            var Running: Bool?
            var Paused: Bool?
            var Restarting: Bool?
            var OOMKilled: Bool?
            var Dead: Bool?
            var ExitCode: Int32?
            var Error: String?
        }
        struct Config: Decodable, Sendable {
            var Labels: [String: String]?
            /// A TTY container's log is raw; otherwise it is multiplexed (``DockerLogsDemultiplexer``).
            var Tty: Bool?
        }
        struct InspectHostConfig: Decodable, Sendable {
            var NanoCpus: Int64?
            var Memory: Int64?
        }
        var Id: String
        var State: State
        var Config: Config?
        var HostConfig: InspectHostConfig?
        var SizeRw: Int64?
        var SizeRootFs: Int64?
        var NetworkSettings: DockerWire.NetworkSettings?
    }

    /// One entry of `GET /containers/json`.
    struct ContainerSummary: Decodable, Sendable {
        var Id: String
        var Labels: [String: String]?
        var State: String?
    }

    /// `GET /containers/{id}/stats?stream=false`.
    struct Stats: Decodable, Sendable {
        struct CPUUsage: Decodable, Sendable {
            var total_usage: UInt64?
        }
        struct CPUStats: Decodable, Sendable {
            var cpu_usage: CPUUsage?
            var system_cpu_usage: UInt64?
            var online_cpus: Int?
        }
        struct MemoryStats: Decodable, Sendable {
            var usage: Int64?
            var limit: Int64?
            var stats: [String: Int64]?
        }
        struct Network: Decodable, Sendable {
            var rx_bytes: Int64?
            var tx_bytes: Int64?
        }
        struct BlkioEntry: Decodable, Sendable {
            var op: String?
            var value: Int64?
        }
        struct BlkioStats: Decodable, Sendable {
            var io_service_bytes_recursive: [BlkioEntry]?
        }
        var cpu_stats: CPUStats?
        var precpu_stats: CPUStats?
        var memory_stats: MemoryStats?
        var networks: [String: Network]?
        var blkio_stats: BlkioStats?
    }

    /// One line of the progress stream of `POST /images/create`.
    struct PullProgress: Decodable, Sendable {
        var error: String?
        var message: String?
    }

    /// One line of `GET /events`.
    struct Event: Decodable, Sendable {
        struct Source: Decodable, Sendable {
            var ID: String?
            /// A container's labels, its name and image.
            var Attributes: [String: String]?
        }
        var type: String?
        var action: String?
        var source: Source?
        /// When the daemon logged the event, in nanoseconds since 1970.
        var timeNano: Int64?

        enum CodingKeys: String, CodingKey {
            case type = "Type"
            case action = "Action"
            case source = "Actor"
            case timeNano
        }
    }
}
