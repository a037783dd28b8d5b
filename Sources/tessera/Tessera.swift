import AccessKeys
import ArgumentParser
import Foundation
import GatewayHTTP
import Logging
import Metrics
import NIOCore
import NIOPosix
import Prometheus
import StorageCore
import TesseraServer

@main
struct Tessera: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tessera",
        abstract: "An S3-compatible gateway: S3 REST/XML over a local storage core (SQLite metadata, file blobs).",
        version: TesseraVersion.line,
        subcommands: [Serve.self, Keys.self, Tickets.self, Buckets.self, Uploads.self, Fsck.self, Migrate.self, Cp.self],
        defaultSubcommand: Serve.self
    )
}

struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run the gateway daemon.",
        discussion: """
        Every setting below can also come from the environment (TESSERA_ plus the flag's name in upper case with '_' \
        for '-', e.g. TESSERA_DATA_DIR) or from a JSON config file (--config FILE or TESSERA_CONFIG; keys are the flag \
        names, e.g. {"listen": "0.0.0.0:9000", "data-dir": "/var/lib/tessera", "fsync": true}). \
        Precedence: flags > environment > config file > defaults. See docs/operator-guide.md.
        """
    )

    @Option(help: ArgumentHelp("JSON config file (else $TESSERA_CONFIG): keys are the long flag names.", valueName: "file"))
    var config: String?

    @Option(help: "Address to listen on, HOST:PORT (default 127.0.0.1:9000).")
    var listen: String?

    @Option(help: "Directory holding metadata and blobs, created if missing (default ./data).")
    var dataDir: String?

    @Option(help: "Region the gateway reports and expects in signatures (default us-east-1).")
    var region: String?

    @Option(help: "Domain for virtual-hosted style requests (e.g. 'localhost' makes bucket.localhost:PORT address 'bucket'). Path style always works.")
    var domain: String?

    @Option(help: "Access key ID (else generated on first start and kept in the data dir).")
    var accessKey: String?

    @Option(help: "Secret access key (else generated with the access key).")
    var secretKey: String?

    @Option(help: "Multipart limit profile: aws (10,000 parts of 5 MiB–5 GiB; the default) or r2 (as aws, plus equal part sizes).")
    var limits: String?

    @Option(help: "Override the profile's maximum part count.")
    var maxParts: Int?

    @Option(help: "Override the profile's minimum size in bytes of every part but the last.")
    var minPartSize: Int64?

    @Option(help: "Override the profile's maximum part size in bytes.")
    var maxPartSize: Int64?

    @Option(help: "Abort incomplete multipart uploads older than this many seconds (default 604800, 7 days).")
    var abortIncompleteAfter: Double?

    @Option(help: "Serve the Worker-style JSON multipart API (?action=mpu-*) on HOST:PORT, bound to --worker-bucket.")
    var workerListen: String?

    @Option(help: "Bucket the Worker JSON API reads and writes, created if missing (default worker).")
    var workerBucket: String?

    @Option(help: "Bearer token for the Worker JSON API (the S3 secret key is accepted too).")
    var workerToken: String?

    @Flag(inversion: .prefixedNo, help: "Open the Worker JSON API to requests without a token (the seed's sample client sends none). Default off.")
    var workerAnonymous: Bool?

    @Option(help: "Origins whose web pages may call the Worker JSON API from a browser (CORS), comma-separated; `*` wildcards (https://*.example). Default none.")
    var workerCorsOrigins: String?

    @Option(help: "Serve the task-based chunk upload API (/api/files/upload/...) on HOST:PORT, bound to --tasks-bucket.")
    var tasksListen: String?

    @Option(help: "Bucket the task API stores files in, created if missing (default files).")
    var tasksBucket: String?

    @Option(help: "Bearer token for the task API (the S3 secret key is accepted too).")
    var tasksToken: String?

    @Option(help: "Origins whose web pages may call the task API from a browser (CORS), comma-separated; `*` wildcards. Default none.")
    var tasksCorsOrigins: String?

    @Flag(inversion: .prefixedNo, help: "Open the task API to requests without a token. Default off.")
    var tasksAnonymous: Bool?

    @Option(help: "Most concurrent S3 connections; past it requests get 503 SlowDown (default 1024).")
    var maxConnections: Int?

    @Option(help: "How often, in seconds, the incomplete-upload sweeper runs (default 3600).")
    var sweepInterval: Double?

    @Option(help: "Largest clock skew, in seconds, accepted on signed requests (default 900; 0 disables the check and presigned expiry: only for replaying recorded requests).")
    var maxClockSkew: Double?

    @Option(help: "Log level: trace, debug, info (the default), notice, warning, error, critical.")
    var logLevel: String?

    @Option(help: "Log line format on stderr: logfmt (the default) or json. One access-log line per request at level info.")
    var logFormat: String?

    @Option(help: "PEM certificate chain (leaf first) for HTTPS on --listen; requires --tls-key.")
    var tlsCert: String?

    @Option(help: "PEM private key (unencrypted) for --tls-cert.")
    var tlsKey: String?

    @Option(help: ArgumentHelp("File holding the master key for SSE-S3 (32 random bytes in base64: openssl rand -base64 32); without it, requests for server-side encryption are refused. Back it up: objects sealed under it cannot be read without it.", valueName: "path"))
    var masterKeyFile: String?

    @Flag(help: "Accept SSE-C (customer-provided keys) over plain HTTP too. S3 refuses them without TLS: a key sent in the clear is exposed. Only for tests, or behind a proxy that ends TLS.")
    var allowInsecureSseC = false

    @Flag(inversion: .prefixedNo, help: "fsync blobs and metadata (the default). --no-fsync is faster; an OS crash may lose acknowledged writes: for throwaway data only.")
    var fsync: Bool?

    @Option(help: "Serve /metrics (Prometheus), /health/live and /health/ready on HOST:PORT (off by default). Unauthenticated: keep it on loopback or a private network.")
    var adminListen: String?

    @Option(help: ArgumentHelp("Keep metadata in PostgreSQL (postgres://USER:PASS@HOST:PORT/DB[?sslmode=disable|prefer|require]) instead of SQLite in --data-dir, so several gateways can share it; --data-dir is then the blob directory they all share. See docs/operator-guide.md, \"Several gateways\".", valueName: "url"))
    var metadataUrl: String?

    @Option(help: "Most connections to the PostgreSQL metadata database (default 8; only with --metadata-url).")
    var metadataPoolSize: Int?

    @Option(help: "Seconds each PostgreSQL metadata call may take, its wait for a pooled connection included, before the request gets 503 ServiceUnavailable (default 5; only with --metadata-url).")
    var metadataTimeout: Double?

    /// The flags layer: only what was given on the command line.
    var flagLayer: ServeOptions {
        var o = ServeOptions()
        o.listen = listen; o.dataDir = dataDir; o.region = region; o.domain = domain
        o.accessKey = accessKey; o.secretKey = secretKey
        o.limits = limits; o.maxParts = maxParts; o.minPartSize = minPartSize; o.maxPartSize = maxPartSize
        o.abortIncompleteAfter = abortIncompleteAfter
        o.workerListen = workerListen; o.workerBucket = workerBucket; o.workerToken = workerToken; o.workerAnonymous = workerAnonymous
        o.workerCorsOrigins = workerCorsOrigins; o.tasksCorsOrigins = tasksCorsOrigins
        o.tasksListen = tasksListen; o.tasksBucket = tasksBucket; o.tasksToken = tasksToken; o.tasksAnonymous = tasksAnonymous
        o.maxConnections = maxConnections; o.sweepInterval = sweepInterval; o.maxClockSkew = maxClockSkew
        o.logLevel = logLevel; o.logFormat = logFormat; o.tlsCert = tlsCert; o.tlsKey = tlsKey; o.fsync = fsync
        o.masterKeyFile = masterKeyFile
        o.allowInsecureSseC = allowInsecureSseC ? true : nil
        o.adminListen = adminListen
        o.metadataUrl = metadataUrl; o.metadataPoolSize = metadataPoolSize; o.metadataTimeout = metadataTimeout
        return o
    }

    /// flags > environment > config file > defaults, validated; errors name the key and its source.
    func resolve(environment env: [String: String]) throws -> ServeOptions.Resolved {
        var layers: [(options: ServeOptions, source: ServeOptions.Source)] = [(flagLayer, .flag)]
        layers.append((try ServeOptions.fromEnvironment(env), .environment))
        if let path = config ?? env["TESSERA_CONFIG"].flatMap({ $0.isEmpty ? nil : $0 }) {
            layers.append((try ServeOptions.load(configFile: path), .file(path)))
        }
        let resolved = ServeOptions.merge(layers)
        try ServeOptions.validate(resolved)
        return resolved
    }

    func run() async throws {
        let env = ProcessInfo.processInfo.environment
        let options = try resolve(environment: env).options
        // Swift tasks run on NIO's event loops, the ones the listeners serve on: a small request's
        // handler then runs on its connection's thread instead of hopping to Swift's pool and back.
        // Blocking work goes to the stores' `BlockingPool`, never to these threads. TESSERA_NIO_EXECUTOR=0 turns it off.
        if env["TESSERA_NIO_EXECUTOR"] != "0" {
            _ = NIOSingletons.unsafeTryInstallSingletonPosixEventLoopGroupAsConcurrencyGlobalExecutor()
        }

        let format = LogFormat(rawValue: options.logFormat ?? "logfmt") ?? .logfmt
        LoggingSystem.bootstrap { TesseraLogHandler(label: $0, format: format) }
        defer { LogOutput.standardError.flush() }  // access lines are batched (see LogOutput)
        var logger = Logger(label: "tessera")
        logger.logLevel = Logger.Level(rawValue: options.logLevel ?? "info") ?? .info

        // swift-metrics → Prometheus, once per process; the admin listener's /metrics reads this registry.
        let registry = PrometheusCollectorRegistry()
        MetricsSystem.bootstrap(PrometheusMetricsFactory(registry: registry))

        let dataDir = options.dataDir ?? ServeOptions.defaultDataDir
        try FileManager.default.createDirectory(atPath: dataDir, withIntermediateDirectories: true)
        let credentials: Credentials
        let generated: Bool
        if let accessKey = options.accessKey, let secretKey = options.secretKey {
            credentials = Credentials(accessKey: accessKey, secretKey: secretKey)
            generated = false
        } else {
            credentials = try Credentials.loadOrCreate(in: dataDir)
            generated = true
        }

        var config = options.serverConfiguration(accessKey: credentials.accessKey, secretKey: credentials.secretKey)
        config.metricsRegistry = registry

        let c = config
        let scheme = c.tlsEnabled ? "https" : "http"
        try await Daemon.run(config, logger: logger) { port in
            // The banner (stdout) shows a secret only when the daemon made it up: a configured one is the operator's already.
            print("""
            Tessera listening on \(scheme)://\(c.host):\(port)  (data: \(c.dataDir)\(c.postgres.map { ", metadata: \($0.location)" } ?? ""), region: \(c.region), limits: \(c.limits.name))
              access key: \(c.accessKey)
              secret key: \(generated ? c.secretKey : "(as configured)")
              try: aws --endpoint-url \(scheme)://\(c.host):\(port) s3 ls
            """)
            fflush(nil)
        }
    }
}

/// `tessera migrate`: a single node's metadata into PostgreSQL (see `MetadataMigration`).
struct Migrate: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Copy a single node's metadata (metadata.sqlite in --data-dir) into PostgreSQL, for serve --metadata-url.",
        discussion: """
        Blob files stay where they are: --data-dir becomes the gateways' shared blob directory. Needs the data \
        directory to itself (stop its tessera serve first); leaves metadata.sqlite as it is. Safe to run again, \
        also after it was stopped halfway: it copies what is missing. Refuses a target database holding another \
        namespace. See docs/operator-guide.md.
        """
    )

    @Option(help: "The single node's data directory (else $TESSERA_DATA_DIR, else ./data).")
    var dataDir: String?

    @Option(help: ArgumentHelp("The PostgreSQL database to copy into (postgres://USER:PASS@HOST:PORT/DB[?sslmode=…]; else $TESSERA_METADATA_URL).", valueName: "url"))
    var to: String?

    @Option(help: "Rows per batch; each batch is one transaction.")
    var batchRows = 1000

    func validate() throws {
        if batchRows < 1 || batchRows > 5000 { throw ValidationError("--batch-rows must be 1 to 5000") }
    }

    func run() async throws {
        let env = ProcessInfo.processInfo.environment
        func value(_ name: String) -> String? { env[name].flatMap { $0.isEmpty ? nil : $0 } }
        guard let url = to ?? value("TESSERA_METADATA_URL") else { throw ValidationError("--to postgres://… is required") }
        var options = MetadataMigration.Options(dataDir: dataDir ?? value("TESSERA_DATA_DIR") ?? ServeOptions.defaultDataDir, metadataURL: url)
        options.batchRows = batchRows
        // Tests only: stop after that many batches, as a run killed halfway would.
        options.pauseAfterBatches = value("TESSERA_MIGRATE_PAUSE_AFTER_BATCHES").flatMap(Int.init)
        var logger = Logger(label: "tessera.migrate")
        logger.logLevel = .warning
        let report = try await MetadataMigration.run(options, logger: logger) { line in
            FileHandle.standardError.write(Data("migrate: \(line)\n".utf8))
        }
        var rows = [["TABLE", "ROWS", "COPIED", "THERE ALREADY"]]
        for t in report.tables { rows.append([t.table, "\(t.source)", "\(t.copied)", "\(t.alreadyThere)"]) }
        print(table(rows))
        print("object_versions: \(report.sequenceValue)")
        print("migrate: done; serve with --metadata-url and --data-dir \(options.dataDir)")
    }
}

/// The key pair used when none is given: generated once, kept in the data dir with mode 0600.
struct Credentials: Codable {
    var accessKey: String
    var secretKey: String

    static func loadOrCreate(in dataDir: String) throws -> Credentials {
        let path = dataDir + "/credentials.json"
        // A pair is generated only when there is none: a file that exists must be the pair, else it is
        // refused (never replaced, which would lock every client out).
        if FileManager.default.fileExists(atPath: path) {
            guard let data = FileManager.default.contents(atPath: path) else { throw ValidationError("cannot read \(path)") }
            let c: Credentials
            do {
                c = try JSONDecoder().decode(Credentials.self, from: data)
            } catch {
                throw ValidationError("\(path) is not a valid credentials file (\(error)); fix it or move it away: "
                                      + "a new key pair is generated only when there is none")
            }
            guard !c.accessKey.isEmpty, !c.secretKey.isEmpty else {
                throw ValidationError("\(path) holds an empty key; fix it or move it away: a new key pair is generated only when there is none")
            }
            return c
        }
        let pair = AccessKeyRecord.generate(buckets: nil, readOnly: false)
        let c = Credentials(accessKey: pair.accessKey, secretKey: pair.secretKey)
        let data = try JSONEncoder().encode(c)
        // Durably (temporary file, fsync, rename, fsync of the directory): after a power cut the file is
        // either absent (and a pair is generated again) or whole, never empty (which would be refused).
        do {
            try DurableFile.write(data, to: path, mode: 0o600)
        } catch {
            throw ValidationError("\(error)")
        }
        return c
    }
}
