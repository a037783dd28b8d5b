// swift-tools-version:6.0
import PackageDescription

/// What every front end (S3API, WorkerAPI, TasksAPI) imports: the shared request path, the keys, the core, Hummingbird.
let frontEndDependencies: [Target.Dependency] = [
    "GatewayHTTP", "AccessKeys", "StorageCore",
    .product(name: "Hummingbird", package: "hummingbird"),
    .product(name: "HTTPTypes", package: "swift-http-types"),
    .product(name: "Logging", package: "swift-log"),
    .product(name: "NIOCore", package: "swift-nio"),
]

let package = Package(
    name: "tessera",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "tessera", targets: ["tessera"]),
    ],
    dependencies: [
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.1"),
        .package(url: "https://github.com/apple/swift-crypto.git", from: "3.12.3"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-nio-extras.git", from: "1.35.2"),
        .package(url: "https://github.com/apple/swift-nio-ssl.git", from: "2.37.6"),
        .package(url: "https://github.com/apple/swift-http-types.git", from: "1.8.0"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-metrics.git", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.4.1"),
        .package(url: "https://github.com/vapor/postgres-nio.git", from: "1.33.2"),
        .package(url: "https://github.com/swift-server/async-http-client.git", from: "1.37.0"),
        .package(url: "https://github.com/apple/swift-configuration.git", from: "1.4.0"),
    ],
    targets: [
        // System libraries, through pkg-config (Debian: libsqlite3-dev, libxml2-dev, zlib1g-dev).
        .systemLibrary(name: "CSQLite", pkgConfig: "sqlite3", providers: [.apt(["libsqlite3-dev"])]),
        .systemLibrary(name: "CLibXML2", pkgConfig: "libxml-2.0", providers: [.apt(["libxml2-dev"])]),
        .systemLibrary(name: "CZlib", pkgConfig: "zlib", providers: [.apt(["zlib1g-dev"])]),

        // CRC-64/NVME folded with PCLMULQDQ (C for the intrinsics; portable fallback in Checksums).
        .target(name: "CCRCFold"),
        // The text forms of the wire, written once: hex, percent-encoding, ISO 8601 and HTTP dates (no dependencies).
        .target(name: "WireFormats"),
        .target(name: "Checksums", dependencies: [
            "CZlib", "CCRCFold", .product(name: "Crypto", package: "swift-crypto"),
        ]),
        .target(name: "SigV4", dependencies: [
            "WireFormats", .product(name: "Crypto", package: "swift-crypto"),
        ]),
        .target(name: "S3XML", dependencies: ["CLibXML2", "WireFormats"]),
        // POST policy decoding and evaluation for browser uploads (pure: WireFormats only).
        .target(name: "PostPolicy", dependencies: ["WireFormats"]),
        // Streaming multipart/form-data reader (RFC 7578 / RFC 2046; no dependencies).
        .target(name: "FormData"),
        .target(name: "StorageCore", dependencies: [
            "Checksums", "WireFormats",
            .product(name: "Crypto", package: "swift-crypto"),
            .product(name: "Logging", package: "swift-log"),
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOPosix", package: "swift-nio"),
        ]),
        .target(name: "SQLiteMetadata", dependencies: ["CSQLite", "StorageCore", "WireFormats"]),
        // The shared MetadataStore over PostgreSQL (postgres-nio), for several gateways on one database.
        .target(name: "PostgresMetadata", dependencies: [
            "StorageCore", "WireFormats",
            .product(name: "PostgresNIO", package: "postgres-nio"),
            .product(name: "Logging", package: "swift-log"),
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOSSL", package: "swift-nio-ssl"),
        ]),
        .target(name: "FileBlobs", dependencies: [
            "StorageCore", "Checksums", "WireFormats", .product(name: "NIOCore", package: "swift-nio"),
        ]),
        // The one request path every front end shares: request context, access line and metrics, error
        // mapping, target decoding, the channel handlers, object headers, the log handler.
        .target(name: "GatewayHTTP", dependencies: [
            "StorageCore", "WireFormats",
            .product(name: "Hummingbird", package: "hummingbird"),
            .product(name: "HummingbirdCore", package: "hummingbird"),
            .product(name: "HTTPTypes", package: "swift-http-types"),
            .product(name: "Logging", package: "swift-log"),
            .product(name: "Metrics", package: "swift-metrics"),
            .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOHTTP1", package: "swift-nio"),
            .product(name: "NIOHTTPTypes", package: "swift-nio-extras"),
            .product(name: "NIOHTTPTypesHTTP1", package: "swift-nio-extras"),
            .product(name: "NIOPosix", package: "swift-nio"),
            .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
        ]),
        // Access keys: the keys file (`tessera keys`) and what each key may do (KeyScopes).
        .target(name: "AccessKeys", dependencies: ["StorageCore", .product(name: "Logging", package: "swift-log")]),
        // The S3 REST/XML front end: S3Service, S3Endpoint, S3Request, one file per operation.
        .target(name: "S3API", dependencies: frontEndDependencies + [
            "SigV4", "S3XML", "Checksums", "PostPolicy", "FormData", "WireFormats", .product(name: "Crypto", package: "swift-crypto"),
        ]),
        // The Worker-style JSON multipart front end (seeds 000/001).
        .target(name: "WorkerAPI", dependencies: frontEndDependencies),
        // The task-based chunk upload front end (seed 003) and its file expiry sweeper.
        .target(name: "TasksAPI", dependencies: frontEndDependencies + [
            "FormData", "WireFormats",
            .product(name: "Crypto", package: "swift-crypto"),
            .product(name: "_CryptoExtras", package: "swift-crypto"),
            .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
        ]),
        // The daemon: composes the listeners, layers the configuration, the admin listener, the upload sweeper.
        .target(name: "TesseraServer", dependencies: [
            "GatewayHTTP", "AccessKeys", "S3API", "WorkerAPI", "TasksAPI",
            "StorageCore", "SQLiteMetadata", "PostgresMetadata", "FileBlobs", "SigV4", "S3XML",
            .product(name: "Hummingbird", package: "hummingbird"),
            .product(name: "HummingbirdTLS", package: "hummingbird"),
            .product(name: "HummingbirdCore", package: "hummingbird"),
            .product(name: "NIOSSL", package: "swift-nio-ssl"),
            .product(name: "Logging", package: "swift-log"),
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            .product(name: "UnixSignals", package: "swift-service-lifecycle"),
            .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
            .product(name: "Prometheus", package: "swift-prometheus"),
            .product(name: "Configuration", package: "swift-configuration"),
        ]),
        // An S3 client of our own (SigV4 header signing shared with the verifier, response XML through S3XML).
        .target(name: "S3Client", dependencies: [
            "SigV4", "S3XML", "WireFormats",
            .product(name: "AsyncHTTPClient", package: "async-http-client"),
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOHTTP1", package: "swift-nio"),
            .product(name: "NIOSSL", package: "swift-nio-ssl"),
        ]),
        // `tessera cp`: resumable uploads and downloads (part plans, local MD5s, resume records, progress).
        .target(name: "Transfers", dependencies: [
            "S3Client", "WireFormats", "StorageCore",
            .product(name: "AsyncHTTPClient", package: "async-http-client"),
            .product(name: "Crypto", package: "swift-crypto"),
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOHTTP1", package: "swift-nio"),
            .product(name: "NIOFoundationCompat", package: "swift-nio"),
            .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
        ]),
        .executableTarget(name: "tessera", dependencies: [
            "TesseraServer", "GatewayHTTP", "AccessKeys", "StorageCore", "WireFormats", "S3Client", "Transfers", "SigV4",
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOPosix", package: "swift-nio"),
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
            .product(name: "Logging", package: "swift-log"),
            .product(name: "Metrics", package: "swift-metrics"),
            .product(name: "Prometheus", package: "swift-prometheus"),
        ], plugins: ["BuildInfo"]),
        // The bench's reference for the framework's own cost: the daemon's HTTP/1 connection answering 4 KiB, nothing else.
        .executableTarget(name: "tessera-framework-floor", dependencies: [
            "GatewayHTTP",
            .product(name: "Hummingbird", package: "hummingbird"),
            .product(name: "Logging", package: "swift-log"),
            .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOPosix", package: "swift-nio"),
        ]),

        .testTarget(name: "WireFormatsTests", dependencies: ["WireFormats"]),
        .testTarget(name: "SigV4Tests", dependencies: ["SigV4", "WireFormats", .product(name: "Crypto", package: "swift-crypto")]),
        .testTarget(name: "S3XMLTests", dependencies: ["S3XML"]),
        .testTarget(name: "ChecksumsTests", dependencies: ["Checksums", "WireFormats"]),
        .testTarget(name: "ServerUnitTests", dependencies: ["PostPolicy", "WireFormats"]),
        .testTarget(name: "FormDataTests", dependencies: ["FormData"]),
        .testTarget(name: "GatewayHTTPTests", dependencies: [
            "GatewayHTTP", .product(name: "Logging", package: "swift-log"), .product(name: "HTTPTypes", package: "swift-http-types"),
        ]),
        .testTarget(name: "S3APITests", dependencies: [
            "S3API", "S3XML", "GatewayHTTP", "StorageCore", .product(name: "HTTPTypes", package: "swift-http-types"),
        ]),
        .testTarget(name: "TasksAPITests", dependencies: ["TasksAPI", .product(name: "Crypto", package: "swift-crypto")]),
        .testTarget(name: "TesseraServerTests", dependencies: [
            "TesseraServer", .product(name: "Configuration", package: "swift-configuration"),
        ]),
        .testTarget(name: "TransfersTests", dependencies: ["Transfers", "S3Client", "S3XML"]),
        .testTarget(name: "AccessKeysTests", dependencies: ["AccessKeys", "StorageCore"]),
        .testTarget(name: "StorageCoreTests", dependencies: [
            "StorageCore", "SQLiteMetadata", "PostgresMetadata", "FileBlobs", "WireFormats",
            .product(name: "PostgresNIO", package: "postgres-nio"),
        ]),
        // The commit `tessera --version` names, from git at build time (scripts/build-info.sh).
        .plugin(name: "BuildInfo", capability: .buildTool()),
    ]
)
