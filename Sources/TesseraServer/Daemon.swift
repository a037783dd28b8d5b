import FileBlobs
import Foundation
import Hummingbird
import HummingbirdTLS
import Logging
import NIOCore
import NIOSSL
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
        let app = try makeApplication(config, storage: storage, logger: logger, onReady: onReady)
        try await app.runService(gracefulShutdownSignals: [.sigterm, .sigint])
    }

    static func makeApplication(_ config: ServerConfiguration, storage: Storage, logger: Logger,
                                onReady: @escaping @Sendable (Int) -> Void) throws -> some ApplicationProtocol {
        let (accessKey, secretKey) = (config.accessKey, config.secretKey)
        let verifier = Verifier(region: config.region, credentials: { $0 == accessKey ? secretKey : nil }, maxSkew: config.maxClockSkew)
        let service = S3Service(storage: storage, verifier: verifier, region: config.region, domain: config.domain, logger: logger)
        let sweeper = UploadSweeper(storage: storage, maxAge: config.abortIncompleteAfter, interval: config.sweepInterval, logger: logger)
        // HTTP/1.1 with 100-continue and an idle timeout; wrapped in TLS when a certificate and key are configured.
        let tls = try config.tlsCertificatePath.flatMap { cert in
            try config.tlsKeyPath.map { try loadTLSConfiguration(certificatePath: cert, keyPath: $0) }
        }
        return Application(
            responder: service,
            server: try tls.map { try .tls(.http1(configuration: .init(additionalChannelHandlers: [ContinueHandler()], idleTimeout: .seconds(120))), tlsConfiguration: $0) }
                ?? .http1(configuration: .init(additionalChannelHandlers: [ContinueHandler()], idleTimeout: .seconds(120))),
            configuration: .init(address: .hostname(config.host, port: config.port), serverName: nil),
            services: [sweeper],
            onServerRunning: { channel in onReady(channel.localAddress?.port ?? config.port) },
            logger: logger
        )
    }

    /// Reads a PEM certificate chain (leaf first) and its PEM private key, with errors that name the file.
    public static func loadTLSConfiguration(certificatePath: String, keyPath: String) throws -> TLSConfiguration {
        let chain: [NIOSSLCertificate]
        do {
            chain = try NIOSSLCertificate.fromPEMFile(certificatePath)
        } catch {
            throw TLSSetupError("cannot load TLS certificate chain from \(certificatePath) (PEM expected): \(error)")
        }
        guard !chain.isEmpty else { throw TLSSetupError("no PEM certificate found in \(certificatePath)") }
        let key: NIOSSLPrivateKey
        do {
            key = try NIOSSLPrivateKey(file: keyPath, format: .pem)
        } catch {
            throw TLSSetupError("cannot load TLS private key from \(keyPath) (unencrypted PEM expected): \(error)")
        }
        let tls = TLSConfiguration.makeServerConfiguration(certificateChain: chain.map { .certificate($0) }, privateKey: .privateKey(key))
        do {
            _ = try NIOSSLContext(configuration: tls)  // what the listener builds; fails here if the key is not the certificate's
        } catch {
            throw TLSSetupError("cannot use \(certificatePath) with \(keyPath) (is the key the certificate's?): \(error)")
        }
        return tls
    }
}

public struct TLSSetupError: Error, CustomStringConvertible {
    public var description: String
    init(_ description: String) { self.description = description }
}
