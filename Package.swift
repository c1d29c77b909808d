// swift-tools-version:6.1
import PackageDescription

/// Surface E's gRPC stack (ADR 0009): the server target and the tests' own generated client use the same.
let grpcProducts: [Target.Dependency] = [
    .product(name: "GRPCCore", package: "grpc-swift-2"),
    .product(name: "GRPCNIOTransportHTTP2", package: "grpc-swift-nio-transport"),
    .product(name: "GRPCProtobuf", package: "grpc-swift-protobuf"),
    .product(name: "SwiftProtobuf", package: "swift-protobuf"),
]

/// Metrics and tracing APIs (issue 15): the instrumented targets record through these, never through a backend.
let observabilityProducts: [Target.Dependency] = [
    .product(name: "Metrics", package: "swift-metrics"),
    .product(name: "Tracing", package: "swift-distributed-tracing"),
    .product(name: "Instrumentation", package: "swift-distributed-tracing"),
    .product(name: "ServiceContextModule", package: "swift-service-context"),
]

/// Upcoming language features every target is built with (issue 20, point 6), as Hummingbird does: an import is
/// visible only in the file that writes it, and an existential is spelled `any P`.
let strictSettings: [SwiftSetting] = [
    .enableUpcomingFeature("MemberImportVisibility"),
    .enableUpcomingFeature("ExistentialAny"),
]

let package = Package(
    name: "flotilla",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "flotilla", targets: ["flotilla"]),
        .executable(name: "flotilla-bench", targets: ["flotilla-bench"]),
    ],
    dependencies: [
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.1"),
        .package(url: "https://github.com/swift-server/async-http-client.git", from: "1.37.0"),
        .package(url: "https://github.com/groue/GRDB.swift.git", from: "7.10.0"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-crypto.git", from: "3.12.3"),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-http-types.git", from: "1.8.0"),
        .package(url: "https://github.com/grpc/grpc-swift-2.git", from: "2.4.3"),
        .package(url: "https://github.com/grpc/grpc-swift-nio-transport.git", from: "2.9.2"),
        .package(url: "https://github.com/grpc/grpc-swift-protobuf.git", from: "2.4.1"),
        .package(url: "https://github.com/apple/swift-protobuf.git", from: "1.39.0"),
        .package(url: "https://github.com/apple/swift-nio-ssl.git", from: "2.37.6"),
        .package(url: "https://github.com/apple/swift-certificates.git", from: "1.21.1"),
        .package(url: "https://github.com/apple/swift-asn1.git", from: "1.7.4"),
        .package(url: "https://github.com/apple/swift-nio-extras.git", from: "1.35.2"),
        // The PostgreSQL cluster store (issue 18, ADR 0030).
        .package(url: "https://github.com/vapor/postgres-nio.git", from: "1.33.2"),
        // The scheduler's per-group heaps (issue 19, ADR 0031).
        .package(url: "https://github.com/apple/swift-collections.git", from: "1.6.0"),
        // Observability (issue 15): metrics, Prometheus exposition, tracing and its OTLP/HTTP exporter.
        .package(url: "https://github.com/apple/swift-metrics.git", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.4.1"),
        .package(url: "https://github.com/apple/swift-distributed-tracing.git", from: "1.7.3"),
        .package(url: "https://github.com/apple/swift-service-context.git", from: "1.5.1"),
        .package(url: "https://github.com/swift-otel/swift-otel.git", from: "1.6.0", traits: ["OTLPHTTP"]),
    ],
    targets: [
        // Pure domain: values, state machine, reducer, scheduler, ports. No I/O.
        .target(
            name: "FlotillaCore",
            dependencies: [
                .product(name: "HeapModule", package: "swift-collections"),
                .product(name: "HashTreeCollections", package: "swift-collections"),
            ],
            // The pure core also keeps its imports internal unless a public signature needs them (`public import`).
            swiftSettings: strictSettings + [.enableUpcomingFeature("InternalImportsByDefault")]),
        // Store adapters behind the ClusterStore port.
        .target(
            name: "FlotillaStore",
            dependencies: [
                "FlotillaCore", "FlotillaTLS",
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "PostgresNIO", package: "postgres-nio"),
                // etcd's lease renewals on its native gRPC stream (ADR 0034).
                .product(name: "GRPCCore", package: "grpc-swift-2"),
                .product(name: "GRPCNIOTransportHTTP2", package: "grpc-swift-nio-transport"),
                // The store export's checksum (StoreExport.swift).
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOFoundationCompat", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: strictSettings),
        // Compute backend adapters behind the ComputeBackend port.
        .target(
            name: "FlotillaBackends",
            dependencies: [
                "FlotillaCore",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOFoundationCompat", package: "swift-nio"),
                // The live migration tunnel's TLS (Tunnel/MigrationTunnelTLS.swift).
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
            ],
            swiftSettings: strictSettings),
        // Registry cache, membership, election, leader duties, agent.
        .target(
            name: "FlotillaCluster",
            dependencies: [
                "FlotillaCore",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                // The stored form of API keys (Keys/APIKeyHasher.swift).
                .product(name: "Crypto", package: "swift-crypto"),
            ] + observabilityProducts,
            swiftSettings: strictSettings),
        // Surface E: Flintlock's MicroVM service. Generated protobuf and gRPC code (proto/, committed; see
        // scripts/generate-protos.sh), its mapping onto instances and the gRPC server.
        .target(
            name: "FlotillaFlintlock",
            dependencies: [
                "FlotillaCore", "FlotillaCluster",
                .product(name: "NIOCertificateReloading", package: "swift-nio-extras"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ] + grpcProducts,
            swiftSettings: strictSettings),
        // The cluster CA, host certificates and TLS configurations from PEM files (ADR 0017).
        .target(
            name: "FlotillaTLS",
            dependencies: [
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "X509", package: "swift-certificates"),
                .product(name: "SwiftASN1", package: "swift-asn1"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "NIOCertificateReloading", package: "swift-nio-extras"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strictSettings),
        // Wire types of the HTTP surfaces, shared by server and client.
        .target(name: "FlotillaAPI", dependencies: ["FlotillaCore"], swiftSettings: strictSettings),
        // Hummingbird application: surfaces, auth.
        .target(
            name: "FlotillaServer",
            dependencies: [
                "FlotillaCore", "FlotillaCluster", "FlotillaAPI", "FlotillaFlintlock",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "SwiftProtobuf", package: "swift-protobuf"),
                // Surface E's HTTP gateway answers with the gRPC status code (FlintlockRoutes.swift).
                .product(name: "GRPCCore", package: "grpc-swift-2"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOFoundationCompat", package: "swift-nio"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Prometheus", package: "swift-prometheus"),
            ] + observabilityProducts,
            // The dashboard's files, compiled into the binary as byte arrays (`PackageResources`, ADR 0023).
            resources: [.embedInCode("UI/Assets")],
            swiftSettings: strictSettings),
        // Typed HTTP client for the surfaces.
        .target(
            name: "FlotillaClient",
            dependencies: [
                "FlotillaAPI", "FlotillaCore", "FlotillaTLS",
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOFoundationCompat", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ],
            swiftSettings: strictSettings),
        // Assembles one host: configuration, store, backends, cluster services, server.
        .target(
            name: "FlotillaHost",
            dependencies: [
                "FlotillaCore", "FlotillaStore", "FlotillaBackends", "FlotillaCluster", "FlotillaServer", "FlotillaFlintlock",
                "FlotillaTLS",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdCore", package: "hummingbird"),
                .product(name: "HummingbirdTLS", package: "hummingbird"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "NIOCore", package: "swift-nio"),
                // Peer probes' UDP socket (UDPProbeTransport.swift).
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOHTTPTypes", package: "swift-nio-extras"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "NIOCertificateReloading", package: "swift-nio-extras"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "OTel", package: "swift-otel"),
            ] + observabilityProducts,
            swiftSettings: strictSettings),
        // Every command of `flotilla`, in a folder per noun (Instance/, VM/, Fleet/, ...; Shared/ for what several use).
        .target(
            name: "FlotillaCommands",
            dependencies: [
                "FlotillaHost", "FlotillaClient", "FlotillaAPI", "FlotillaTLS", "FlotillaCore",
                // `flotilla store`: export, import and backup (Store/StoreCommand.swift).
                "FlotillaStore",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strictSettings),
        // The executable: one file that runs ``FlotillaCommand``.
        .executableTarget(name: "flotilla", dependencies: ["FlotillaCommands"], swiftSettings: strictSettings),
        .executableTarget(
            name: "flotilla-bench",
            dependencies: [
                "FlotillaHost", "FlotillaCluster", "FlotillaCore", "FlotillaTLS", "FlotillaStore", "FlotillaBackends",
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                // `flotilla-bench postgres`: raw inserts beside the store's creates, through the same client.
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "NIOFoundationCompat", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strictSettings),
        .target(
            name: "FlotillaTestSupport",
            dependencies: [
                "FlotillaCore", "FlotillaStore", "FlotillaHost", "FlotillaClient", "FlotillaBackends", "FlotillaAPI",
                "FlotillaTLS",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                // OTLPReceiver: the tracing tests' OTLP/HTTP collector.
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            path: "Tests/FlotillaTestSupport",
            swiftSettings: strictSettings),
        .testTarget(name: "FlotillaCoreTests", dependencies: ["FlotillaCore"], swiftSettings: strictSettings),
        .testTarget(
            name: "FlotillaTLSTests",
            dependencies: [
                "FlotillaTLS",
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "X509", package: "swift-certificates"),
                .product(name: "SwiftASN1", package: "swift-asn1"),
            ],
            swiftSettings: strictSettings),
        .testTarget(
            name: "FlotillaStoreTests",
            dependencies: [
                "FlotillaCore", "FlotillaStore", "FlotillaTestSupport", "FlotillaTLS",
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "NIOCore", package: "swift-nio"),
            ],
            swiftSettings: strictSettings),
        .testTarget(
            name: "FlotillaBackendsTests",
            dependencies: [
                "FlotillaCore", "FlotillaBackends", "FlotillaTestSupport",
                // MigrationTunnelTests: NIO unix clients and servers, and TLS with the cluster CA.
                "FlotillaTLS",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "Logging", package: "swift-log"),
                // DockerEventsTests: its own requests to dockerd.
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ],
            swiftSettings: strictSettings),
        .testTarget(
            name: "FlotillaServerTests",
            dependencies: [
                "FlotillaCore", "FlotillaCluster", "FlotillaServer", "FlotillaHost", "FlotillaTestSupport", "FlotillaAPI",
                "FlotillaBackends",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strictSettings),
        .testTarget(
            name: "FlotillaClusterTests",
            dependencies: [
                "FlotillaCore", "FlotillaCluster", "FlotillaStore", "FlotillaBackends", "FlotillaHost", "FlotillaTestSupport",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Tracing", package: "swift-distributed-tracing"),
                .product(name: "ServiceContextModule", package: "swift-service-context"),
            ],
            swiftSettings: strictSettings),
        // The client's output formatting, argument parsing and outcome words, with no server (issue 20, point 8).
        .testTarget(
            name: "FlotillaClientTests",
            dependencies: ["FlotillaClient", "FlotillaAPI", "FlotillaCore", .product(name: "NIOCore", package: "swift-nio")],
            swiftSettings: strictSettings),
        .testTarget(
            name: "FlotillaHostTests",
            dependencies: [
                "FlotillaHost", "FlotillaClient", "FlotillaTestSupport", "FlotillaAPI", "FlotillaServer", "FlotillaTLS",
                "FlotillaCore", "FlotillaStore", "FlotillaCluster",
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                // TracingProcessTests: requests with traceparent and X-Request-Id headers.
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
            ],
            swiftSettings: strictSettings),
        // Surface E's mapping, tested with the server's own generated types.
        .testTarget(
            name: "FlotillaFlintlockTests",
            dependencies: [
                "FlotillaCore", "FlotillaCluster", "FlotillaFlintlock",
                .product(name: "GRPCCore", package: "grpc-swift-2"),
                .product(name: "SwiftProtobuf", package: "swift-protobuf"),
            ],
            swiftSettings: strictSettings),
        // Surface E end to end, through a client generated here from the same .proto files (not the server's code).
        .testTarget(
            name: "FlotillaFlintlockClientTests",
            dependencies: [
                "FlotillaCore", "FlotillaHost", "FlotillaServer", "FlotillaTestSupport", "FlotillaAPI", "FlotillaCluster",
                // FlintlockFixture runs the host's FlintlockGRPCServer; the messages the tests send are their own.
                "FlotillaFlintlock",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "NIOFoundationCompat", package: "swift-nio"),
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
            ] + grpcProducts,
            swiftSettings: strictSettings),
    ],
    swiftLanguageModes: [.v6]
)
