import FileBlobs
import Foundation
import Hummingbird
import Logging
import NIOCore
import SQLiteMetadata
import SigV4
import StorageCore

/// Opens the stores, sweeps what a crash left, and serves the S3 front end until SIGTERM/SIGINT.
public enum Daemon {
    public static func openStorage(_ config: ServerConfiguration, logger: Logger) throws -> Storage {
        try FileManager.default.createDirectory(atPath: config.dataDir, withIntermediateDirectories: true)
        let metadata = try SQLiteMetadataStore(path: config.dataDir + "/metadata.sqlite", durable: config.durable)
        let blobs = try FileBlobStore(root: config.dataDir, durable: config.durable)
        return Storage(metadata: metadata, blobs: blobs, limits: config.limits, logger: logger)
    }

    public static func run(_ config: ServerConfiguration, logger: Logger, onReady: @escaping @Sendable (Int) -> Void = { _ in }) async throws {
        let storage = try openStorage(config, logger: logger)
        let report = try await storage.sweep()
        logger.info("start-up sweep", metadata: [
            "temporaries": "\(report.temporariesRemoved)", "garbage": "\(report.garbageDeleted)", "orphans": "\(report.orphansDeleted)",
        ])
        let app = makeApplication(config, storage: storage, logger: logger, onReady: onReady)
        try await app.runService(gracefulShutdownSignals: [.sigterm, .sigint])
    }

    static func makeApplication(_ config: ServerConfiguration, storage: Storage, logger: Logger,
                                onReady: @escaping @Sendable (Int) -> Void) -> some ApplicationProtocol {
        let (accessKey, secretKey) = (config.accessKey, config.secretKey)
        let verifier = Verifier(region: config.region, credentials: { $0 == accessKey ? secretKey : nil }, maxSkew: config.maxClockSkew)
        let service = S3Service(storage: storage, verifier: verifier, region: config.region, domain: config.domain, logger: logger)
        let sweeper = UploadSweeper(storage: storage, maxAge: config.abortIncompleteAfter, interval: config.sweepInterval, logger: logger)
        return Application(
            responder: service,
            server: .http1(configuration: .init(additionalChannelHandlers: [ContinueHandler()], idleTimeout: .seconds(120))),
            configuration: .init(address: .hostname(config.host, port: config.port), serverName: nil),
            services: [sweeper],
            onServerRunning: { channel in onReady(channel.localAddress?.port ?? config.port) },
            logger: logger
        )
    }
}
