// swift-tools-version:6.1
import PackageDescription

let package = Package(
    name: "Winnow",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "winnowd", targets: ["winnowd"]),
        .executable(name: "winnowctl", targets: ["winnowctl"]),
    ],
    dependencies: [
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.10.0"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-metrics", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
    ],
    targets: [
        // C interop: one thin shim per library.
        .systemLibrary(name: "CCurl", path: "Sources/CCurl", providers: [.apt(["libcurl4-openssl-dev"])]),
        .systemLibrary(name: "CZlib", path: "Sources/CZlib", providers: [.apt(["zlib1g-dev"])]),
        .systemLibrary(name: "CLibPQ", path: "Sources/CLibPQ", providers: [.apt(["libpq-dev"])]),

        // Stage modules: know nothing of each other nor of the store.
        .target(name: "WinnowFeeds", exclude: ["generate-html-entities.py"]),
        .target(name: "WinnowFetch", dependencies: ["CCurl"]),
        .target(name: "WinnowClean", exclude: ["generate-entity-table.py"]),
        .target(name: "WinnowDedup"),

        // The only module that speaks SQL.
        .target(name: "WinnowStore", dependencies: [
            "WinnowFeeds", "WinnowClean", "WinnowDedup",
            .product(name: "GRDB", package: "GRDB.swift"),
        ]),

        // The same store on PostgreSQL, for several processes sharing one store (libpq, synchronous).
        .target(name: "WinnowPostgres", dependencies: ["CLibPQ", "WinnowStore", "WinnowFeeds", "WinnowClean", "WinnowDedup"]),

        // Wires the stages together: configuration, scheduler, stage runners, logging.
        .target(name: "WinnowPipeline", dependencies: [
            "WinnowFeeds", "WinnowFetch", "WinnowClean", "WinnowDedup", "WinnowStore", "WinnowPostgres",
            .product(name: "Logging", package: "swift-log"),
            .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            .product(name: "UnixSignals", package: "swift-service-lifecycle"),
            .product(name: "Metrics", package: "swift-metrics"),
            .product(name: "Prometheus", package: "swift-prometheus"),
        ]),

        .executableTarget(name: "winnowd", dependencies: [
            "WinnowPipeline",
            .product(name: "Metrics", package: "swift-metrics"),
            .product(name: "Prometheus", package: "swift-prometheus"),
            .product(name: "Logging", package: "swift-log"),
            .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ]),
        .executableTarget(name: "winnowctl", dependencies: [
            "WinnowPipeline", "CZlib", "WinnowStore", "WinnowPostgres", "WinnowFeeds", "WinnowClean", "WinnowDedup",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
            .product(name: "GRDB", package: "GRDB.swift"),
        ]),

        // Benchmarks (release build, one command each: see bench/).
        .executableTarget(name: "winnow-bench", dependencies: [
            "WinnowDedup", "WinnowStore", "WinnowPostgres", "WinnowClean", "WinnowFeeds", "WinnowTestSupport",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ]),

        // What tests and benchmarks share (Hummingbird's HummingbirdTesting way): a real HTTP server on
        // 127.0.0.1, paths to ../shared and the binaries, child processes that die with the test, the
        // seeded generator.
        .target(name: "WinnowTestSupport"),

        .testTarget(name: "WinnowFeedsTests", dependencies: ["WinnowFeeds", "WinnowTestSupport"], resources: [.copy("Fixtures")]),
        .testTarget(name: "WinnowFetchTests", dependencies: ["WinnowFetch", "WinnowTestSupport"]),
        .testTarget(name: "WinnowCleanTests", dependencies: ["WinnowClean", "WinnowTestSupport"]),
        .testTarget(name: "WinnowDedupTests", dependencies: ["WinnowDedup", "WinnowTestSupport"]),
        .testTarget(name: "WinnowStoreTests", dependencies: ["WinnowStore"]),
        .testTarget(name: "WinnowPostgresTests", dependencies: [
            "WinnowPostgres", "WinnowStore", "WinnowDedup", "WinnowClean", "WinnowFeeds", "WinnowTestSupport",
        ]),
        .testTarget(name: "WinnowPipelineTests", dependencies: [
            "WinnowPipeline", "WinnowStore", "WinnowFetch", "WinnowTestSupport", .product(name: "Logging", package: "swift-log"),
        ]),
        // Tests that drive the built winnowd and winnowctl (and systemd-analyze on the unit).
        .testTarget(name: "WinnowBinaryTests", dependencies: [
            "WinnowPipeline", "WinnowStore", "WinnowPostgres", "WinnowTestSupport", "WinnowClean", "WinnowDedup", "WinnowFeeds",
            .product(name: "GRDB", package: "GRDB.swift"), .product(name: "Logging", package: "swift-log"),
        ]),
    ],
    swiftLanguageModes: [.v6]
)
