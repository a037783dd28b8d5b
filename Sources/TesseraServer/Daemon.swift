import AccessKeys
import FileBlobs
import Foundation
import GatewayHTTP
import Hummingbird
import HummingbirdCore
import HummingbirdTLS
import Logging
import NIOCore
import NIOSSL
import PostgresMetadata
import S3API
import SQLiteMetadata
import ServiceLifecycle
import SigV4
import StorageCore
import TasksAPI
import WorkerAPI

/// Opens the stores, sweeps what a crash left, and serves the S3 front end (and the Worker and task APIs, when configured) until SIGTERM/SIGINT.
public enum Daemon {
    /// How long SIGTERM waits for open requests before the services are cancelled.
    static let drainLimit: Duration = .seconds(30)

    /// Opens the stores, their blocking work (SQLite, files, fsync) to run on `pool`: blobs under the data
    /// directory, metadata in SQLite there or, with `config.postgres`, in the shared PostgreSQL database.
    public static func openStorage(_ config: ServerConfiguration, pool: BlockingPool, logger: Logger) async throws -> Storage {
        let blobs = try await FileBlobStore.open(root: config.dataDir, durable: config.durable, pool: pool)  // makes the data dir
        let metadata: any MetadataStore
        if let shared = config.postgres {
            // `location` prints without its password.
            logger.info("metadata in PostgreSQL", metadata: ["database": "\(shared.location)", "pool": "\(shared.poolSize)",
                                                             "timeout": "\(shared.timeout)"])
            metadata = try await openPostgres(shared.location, poolSize: shared.poolSize, timeout: shared.timeout, logger: logger)
        } else {
            let sqlite = try await SQLiteMetadataStore.open(path: config.dataDir + "/metadata.sqlite", durable: config.durable, pool: pool)
            // The largest stored version is read before serving (a scan of the object table), not by the first write.
            try await sqlite.primeVersions()
            metadata = sqlite
        }
        return Storage(metadata: metadata, blobs: blobs, limits: config.limits, logger: logger)
    }

    /// The PostgreSQL store, with an error that names the database (without its password) and the cause.
    /// `timeout` bounds each call; the admin commands keep the long default (fsck's scans of a large database).
    static func openPostgres(_ location: PostgresLocation, poolSize: Int, timeout: Duration = .seconds(300),
                             logger: Logger) async throws -> PostgresMetadataStore {
        do {
            return try await PostgresMetadataStore.open(location: location, poolSize: poolSize, timeout: timeout, logger: logger)
        } catch let e as PostgresMetadataError {
            throw e
        } catch {
            // postgres-nio's errors describe themselves generically; their reflection has the cause (never the password).
            throw ConfigError("cannot open the PostgreSQL metadata database \(location): \(String(reflecting: error))")
        }
    }

    public static func run(_ config: ServerConfiguration, logger: Logger, onReady: @escaping @Sendable (Int) -> Void = { _ in }) async throws {
        // One daemon per data directory with the embedded store: taken before anything is opened or swept, held
        // until return. With PostgreSQL several gateways share the (blob) directory by design: no lock.
        let lock = config.postgres == nil ? try DataDirectoryLock(dataDir: config.dataDir) : nil
        defer { withExtendedLifetime(lock) {} }
        // The process's one pool for blocking work, stopped once the daemon is done with its stores.
        let pool = BlockingPool()
        do {
            // A corrupt keys file stops the start: it is never read as empty.
            _ = try await pool.run { try AccessKeyFile(dataDir: config.dataDir).load() }
            try await run(config, pool: pool, logger: logger, onReady: onReady)
        } catch {
            try? await pool.shutdown()
            throw error
        }
        try await pool.shutdown()
        logger.info("stopped")
    }

    static func run(_ config: ServerConfiguration, pool: BlockingPool, logger: Logger, onReady: @escaping @Sendable (Int) -> Void) async throws {
        let storage = try await openStorage(config, pool: pool, logger: logger)
        do {
            try await serve(config, storage: storage, pool: pool, logger: logger, onReady: onReady)
        } catch {
            await (storage.metadata as? PostgresMetadataStore)?.close()
            throw error
        }
        if let shared = storage.metadata as? PostgresMetadataStore {
            await shared.close()
            logger.info("stopping: PostgreSQL store closed")
        }
    }

    static func serve(_ config: ServerConfiguration, storage: Storage, pool: BlockingPool, logger: Logger,
                      onReady: @escaping @Sendable (Int) -> Void) async throws {
        // Shared blob directory: leave what other gateways may be writing right now (see `sharedSweepMinAge`).
        let minAge = config.postgres == nil ? nil : ServerConfiguration.sharedSweepMinAge
        let report = try await storage.sweep(minAge: minAge, progress: ProgressLine("start-up sweep"))
        logger.info("start-up sweep", metadata: [
            "temporaries": "\(report.temporariesRemoved)", "garbage": "\(report.garbageDeleted)", "orphans": "\(report.orphansDeleted)",
        ])
        ServerMetrics.sweeperRun("startup", removed: ["temporaries": report.temporariesRemoved, "garbage": report.garbageDeleted,
                                                      "orphans": report.orphansDeleted])
        // One view of the keys file for every front end; its checks run on the pool.
        let scopes = KeyScopes(mainAccessKey: config.accessKey, mainSecretKey: config.secretKey,
                               file: AccessKeyFile(dataDir: config.dataDir, logger: logger, pool: pool))
        // Ready (systemd's READY=1) once every listener accepts connections, not when the first does.
        let notifier = SystemdNotifier()
        let listeners = 1 + (config.admin == nil ? 0 : 1) + (config.worker == nil ? 0 : 1) + (config.tasks == nil ? 0 : 1)
        let gate = ReadinessGate(listeners: listeners) {
            do { try notifier.notify("READY=1") } catch { logger.warning("systemd notification failed", metadata: ["error": "\(error)"]) }
        }
        let tls = try config.tlsCertificatePath.flatMap { cert in
            try config.tlsKeyPath.map { try TLSCertificateReloader(certificatePath: cert, keyPath: $0) }
        }
        let app = try makeApplication(config, storage: storage, scopes: scopes, reloadableTLS: tls, logger: logger) { port in
            onReady(port)
            gate.listenerRunning()
        }
        var services: [ServiceGroupConfiguration.ServiceConfiguration] = [.init(service: app),
                                                                         .init(service: HangupReload(tls: tls, logger: logger))]
        if let admin = config.admin {
            services.append(.init(service: AdminService.makeApplication(admin, storage: storage, registry: config.metricsRegistry,
                                                                        logger: logger, onRunning: gate.listenerRunning)))
        }
        if let worker = config.worker {
            services.append(.init(service: try await makeWorkerApplication(worker, storage: storage, scopes: scopes, logger: logger,
                                                                           onRunning: gate.listenerRunning)))
        }
        if let tasks = config.tasks {
            services += try await makeTasksApplication(tasks, storage: storage, scopes: scopes, sweepInterval: config.sweepInterval,
                                                       logger: logger, onRunning: gate.listenerRunning).map { .init(service: $0) }
        }
        // Last, so that a graceful shutdown reaches it first: STOPPING=1 goes out as draining begins. It ends early
        // by design, which must not end the others.
        if notifier.isActive {
            services.append(.init(service: SystemdLifecycle(notifier: notifier, logger: logger), successTerminationBehavior: .ignore))
        }
        // Last of all: told first, so its line opens the shutdown's log.
        services.append(.init(service: ShutdownNotice(logger: logger, drainLimit: drainLimit), successTerminationBehavior: .ignore))
        // SIGTERM/SIGINT: stop accepting, let in-flight requests finish, but never wait forever.
        var group = ServiceGroupConfiguration(services: services, gracefulShutdownSignals: [.sigterm, .sigint], logger: logger)
        group.maximumGracefulShutdownDuration = drainLimit
        try await ServiceGroup(configuration: group).run()
        logger.info("stopping: listeners and sweepers ended")
    }

    static func makeApplication(_ config: ServerConfiguration, storage: Storage, scopes: KeyScopes,
                                reloadableTLS: TLSCertificateReloader?, logger: Logger, onReady: @escaping @Sendable (Int) -> Void) throws -> GatewayListener {
        let verifier = Verifier(region: config.region, credentials: { scopes.secret(for: $0) }, maxSkew: config.maxClockSkew)
        let masterKey = try config.masterKeyPath.map { try MasterKey.load(path: $0) }
        let service = S3Service(storage: storage, verifier: verifier, scopes: scopes, region: config.region, domain: config.domain, logger: logger,
                                masterKey: masterKey, secureTransport: config.tlsEnabled, allowInsecureSSEC: config.allowInsecureSSEC)
        let sweeper = UploadSweeper(storage: storage, maxAge: config.abortIncompleteAfter, interval: config.sweepInterval, logger: logger,
                                    clockShift: try UploadSweeper.clockShift())
        // HTTP/1.1 with 100-continue and an idle timeout (GatewayServerChannel); wrapped in TLS when a certificate and key
        // are configured.
        let tls = reloadableTLS?.serverConfiguration
        let connections = ConnectionLimiter.Counter(limit: config.maxConnections)
        let connection = GatewayServerChannel(responder: FrontEndResponder(frontEnd: service, logger: logger)) {
            [HTTP10Persistence.Installer(), ConnectionLimiter(counter: connections), LargeReads()]
        }
        let onRunning: @Sendable (Int) async -> Void = { port in onReady(port) }
        if let tls {
            return GatewayListener(childChannel: try TLSChannel(connection, tlsConfiguration: tls), host: config.host, port: config.port,
                                   services: [sweeper], logger: logger, onRunning: onRunning)
        }
        return GatewayListener(childChannel: connection, host: config.host, port: config.port, services: [sweeper], logger: logger,
                               onRunning: onRunning)
    }

    /// The Worker JSON API listener; its bucket is created if missing.
    static func makeWorkerApplication(_ fe: ServerConfiguration.JSONFrontEnd, storage: Storage, scopes: KeyScopes, logger: Logger,
                                      onRunning: @escaping @Sendable () -> Void) async throws -> some Service {
        do { try await storage.createBucket(fe.bucket, region: "us-east-1") } catch let e as CoreError where e.code == "BucketAlreadyOwnedByYou" {}
        let service = WorkerService(storage: storage, access: fe.access(scopes), cors: fe.corsRules, logger: logger)
        let connection = GatewayServerChannel(responder: FrontEndResponder(frontEnd: service, logger: logger)) { [HTTP10Persistence.Installer()] }
        return GatewayListener(childChannel: connection, host: fe.host, port: fe.port, logger: logger) { port in
            logger.info("worker JSON API listening", metadata: ["port": "\(port)", "bucket": "\(fe.bucket)"])
            onRunning()
        }
    }

    /// The task API listener and its expiry sweeper; its bucket is created if missing.
    static func makeTasksApplication(_ fe: ServerConfiguration.JSONFrontEnd, storage: Storage, scopes: KeyScopes, sweepInterval: TimeInterval,
                                     logger: Logger, onRunning: @escaping @Sendable () -> Void) async throws -> [any Service] {
        guard let taskStore = storage.metadata as? any TaskStore else {
            throw ConfigError("the task API (tasks-listen) needs a metadata store that keeps tasks")
        }
        do { try await storage.createBucket(fe.bucket, region: "us-east-1") } catch let e as CoreError where e.code == "BucketAlreadyOwnedByYou" {}
        let service = TasksService(storage: storage, tasks: taskStore, access: fe.access(scopes), cors: fe.corsRules, logger: logger)
        let connection = GatewayServerChannel(responder: FrontEndResponder(frontEnd: service, logger: logger)) { [HTTP10Persistence.Installer()] }
        let app = GatewayListener(childChannel: connection, host: fe.host, port: fe.port, logger: logger) { port in
            logger.info("task upload API listening", metadata: ["port": "\(port)", "bucket": "\(fe.bucket)"])
            onRunning()
        }
        return [app, FileExpirySweeper(storage: storage, tasks: taskStore, interval: sweepInterval, logger: logger)]
    }

    /// Reads a PEM certificate chain (leaf first) and its PEM private key, with errors that name the file, and checks
    /// that they make a usable server configuration.
    public static func loadTLSConfiguration(certificatePath: String, keyPath: String) throws -> TLSConfiguration {
        let pair = try loadTLSPair(certificatePath: certificatePath, keyPath: keyPath)
        return TLSConfiguration.makeServerConfiguration(certificateChain: pair.chain.map { .certificate($0) }, privateKey: .privateKey(pair.key))
    }

    static func loadTLSPair(certificatePath: String, keyPath: String) throws -> TLSCertificateReloader.Pair {
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
        return .init(chain: chain, key: key)
    }
}

public struct TLSSetupError: Error, CustomStringConvertible {
    public var description: String
    init(_ description: String) { self.description = description }
}
