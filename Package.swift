// swift-tools-version: 6.1
import PackageDescription

let swiftSettings: [SwiftSetting] = [
    .swiftLanguageMode(.v6),
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("InternalImportsByDefault"),
]

let package = Package(
    name: "Daftar",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "daftar", targets: ["daftar"]),
        .library(name: "DaftarModel", targets: ["DaftarModel"]),
        .library(name: "DaftarStore", targets: ["DaftarStore"]),
        .library(name: "DaftarREPL", targets: ["DaftarREPL"]),
    ],
    dependencies: [
        .package(url: "https://github.com/groue/GRDB.swift.git", from: "7.10.0"),
        .package(url: "https://github.com/apple/swift-crypto.git", "3.0.0"..<"5.0.0"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.5.0"),
        .package(url: "https://github.com/x-sheep/swift-property-based.git", from: "2.0.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.0"),
        .package(url: "https://github.com/swift-server/async-http-client.git", from: "1.37.0"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.0"),
        .package(url: "https://github.com/adam-fowler/compress-nio.git", from: "1.5.0"),
    ],
    targets: [
        // The record model: values, clocks, vectors, changes and the merge rule. Its one
        // dependency is swift-crypto, for SHA-256 (and Ed25519 when chains are signed).
        .target(
            name: "DaftarModel",
            dependencies: [.product(name: "Crypto", package: "swift-crypto")],
            swiftSettings: swiftSettings
        ),
        // The SQLite store: one file per node, the change log, apply and merge.
        .target(
            name: "DaftarStore",
            dependencies: [
                "DaftarModel",
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "CryptoExtras", package: "swift-crypto"),
            ],
            exclude: ["Migrations"],
            swiftSettings: swiftSettings,
            plugins: ["DaftarMigrationsPlugin"]
        ),
        // Checks the SQL migrations against each other and turns them into Swift.
        .executableTarget(
            name: "DaftarMigrationsTool",
            dependencies: [.product(name: "GRDB", package: "GRDB.swift")],
            swiftSettings: swiftSettings
        ),
        .plugin(
            name: "DaftarMigrationsPlugin",
            capability: .buildTool(),
            dependencies: ["DaftarMigrationsTool"]
        ),
        // The sync protocol: wire types and their JSON and compact encodings. The server and the
        // client know each other only through it.
        .target(
            name: "DaftarSync",
            dependencies: ["DaftarModel"],
            swiftSettings: swiftSettings
        ),
        // The sync server (Hummingbird).
        .target(
            name: "DaftarServer",
            dependencies: [
                "DaftarModel", "DaftarStore", "DaftarSync",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdCore", package: "hummingbird"),
                .product(name: "HummingbirdTLS", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "CompressNIO", package: "compress-nio"),
            ],
            swiftSettings: swiftSettings
        ),
        // The sync client (AsyncHTTPClient).
        .target(
            name: "DaftarClient",
            dependencies: [
                "DaftarModel", "DaftarStore", "DaftarSync",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "CompressNIO", package: "compress-nio"),
            ],
            swiftSettings: swiftSettings
        ),
        // The console's command language: the parser, the commands and how values are written.
        // Apart from the console so that the parser's fuzz target builds without the network.
        .target(
            name: "DaftarCommand",
            dependencies: ["DaftarModel", "DaftarStore"],
            swiftSettings: swiftSettings
        ),
        // The officer's console: sessions, tables and JSON, import and export, line editing.
        .target(
            name: "DaftarREPL",
            dependencies: ["DaftarModel", "DaftarStore", "DaftarClient", "DaftarCommand"],
            swiftSettings: swiftSettings
        ),
        .executableTarget(
            name: "daftar",
            dependencies: [
                "DaftarModel",
                "DaftarStore",
                "DaftarREPL",
                "DaftarServer",
                "DaftarClient",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        // Helpers for tests and benchmarks: temporary folders, a seeded generator, a live server.
        .target(
            name: "DaftarTesting",
            dependencies: [
                "DaftarModel", "DaftarStore", "DaftarSync", "DaftarServer", "DaftarClient",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: swiftSettings
        ),
        // Benchmarks; run through scripts/bench.sh (release build).
        .executableTarget(
            name: "daftar-bench",
            dependencies: [
                "DaftarModel", "DaftarStore", "DaftarSync", "DaftarServer", "DaftarClient", "DaftarTesting",
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        // libFuzzer targets, run through scripts/fuzz.sh (built with -sanitize=fuzzer and -DFUZZING;
        // a normal build makes them replayers of saved inputs). Extern: @_extern(c) declares
        // libFuzzer's driver.
        .target(
            name: "FuzzHarness",
            swiftSettings: swiftSettings + [.enableExperimentalFeature("Extern")]
        ),
        .executableTarget(
            name: "FuzzWire",
            dependencies: ["DaftarModel", "DaftarSync", "FuzzHarness"],
            swiftSettings: swiftSettings
        ),
        .executableTarget(
            name: "FuzzCommand",
            dependencies: ["DaftarModel", "DaftarCommand", "FuzzHarness"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "DaftarModelTests",
            dependencies: [
                "DaftarModel",
                .product(name: "PropertyBased", package: "swift-property-based"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "DaftarStoreTests",
            dependencies: [
                "DaftarModel",
                "DaftarStore",
                "DaftarTesting",
                .product(name: "PropertyBased", package: "swift-property-based"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "DaftarREPLTests",
            dependencies: ["DaftarModel", "DaftarStore", "DaftarREPL", "DaftarCommand", "DaftarTesting"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "DaftarSyncTests",
            dependencies: [
                "DaftarModel", "DaftarStore", "DaftarSync", "DaftarServer", "DaftarClient", "DaftarTesting",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "CompressNIO", package: "compress-nio"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "DaftarCLITests",
            dependencies: ["daftar", "DaftarMigrationsTool", "DaftarTesting", "DaftarModel", "DaftarStore", "DaftarREPL"],
            swiftSettings: swiftSettings
        ),
    ]
)
