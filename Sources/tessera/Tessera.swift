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
        for '-', e.g. TESSERA_DATA_DIR), from a file per setting in the systemd credentials directory \
        ($CREDENTIALS_DIRECTORY; the file is named by the key, e.g. secret-key), or from a JSON config file \
        (--config FILE or TESSERA_CONFIG; keys are the flag names, e.g. {"listen": "0.0.0.0:9000", "data-dir": \
        "/var/lib/tessera", "fsync": true}). Precedence: flags > environment > secret files (--secret-key-file and \
        the like, then the credentials directory) > config file > defaults. A TESSERA_ variable that is not a \
        setting is reported: an error when it is within two letters of one, else a warning. A flag's value is \
        visible to every user in ps: give secrets through the -file flags or the credentials directory. \
        See docs/operator-guide.md.

        SETTINGS:
        \(ServeFlags.help)
        """
    )

    @Option(help: ArgumentHelp("JSON config file (else $TESSERA_CONFIG): keys are the long flag names.", valueName: "file"))
    var config: String?

    /// The settings given as flags (`--data-dir PATH`, `--no-fsync`, …): parsed from the settings table by
    /// `ServeFlags`, so that each setting is declared once, in `ServeSetting`, and not again here.
    @Argument(parsing: .allUnrecognized,
              help: ArgumentHelp("Settings as flags: --NAME VALUE or --NAME=VALUE, --NAME/--no-NAME for a switch (see SETTINGS).",
                                 valueName: "setting"),
              completion: .list(ServeFlags.names))
    var settings: [String] = []

    func validate() throws {
        do {
            _ = try ServeFlags.parse(settings)
        } catch let error as ConfigError {
            throw ValidationError(error.description)
        }
    }

    /// flags > environment > secret files > config file > defaults, through one `ConfigReader`, validated;
    /// errors name the key and its source.
    func resolve(environment env: [String: String]) async throws -> ServeOptions.Resolved {
        let (resolved, warnings) = try await ServeConfigReader.read(
            flags: try ServeFlags.parse(settings), configFile: ServeConfigReader.configFilePath(flag: config, environment: env), environment: env)
        for warning in warnings { FileHandle.standardError.write(Data("tessera: warning: \(warning)\n".utf8)) }
        return resolved
    }

    func run() async throws {
        let env = ProcessInfo.processInfo.environment
        let resolved = try await resolve(environment: env)
        let options = resolved.options
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
        // What is in force and where each value came from; secrets show as <redacted>.
        logger.info("configuration", metadata: Logger.Metadata(uniqueKeysWithValues: resolved.effectiveSettings.map {
            ($0.key, .string($0.shown))
        }))

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

    @Option(help: ArgumentHelp("The daemon's JSON config file (else $TESSERA_CONFIG): its data-dir, and its metadata-url as the target when --to is not given.", valueName: "file"))
    var config: String?

    @Option(help: "The single node's data directory (else $TESSERA_DATA_DIR, else the config file's, else ./data).")
    var dataDir: String?

    @Option(help: ArgumentHelp("The PostgreSQL database to copy into (postgres://USER:PASS@HOST:PORT/DB[?sslmode=…]; else $TESSERA_METADATA_URL, else the config file's metadata-url).", valueName: "url"))
    var to: String?

    @Option(help: "Rows per batch; each batch is one transaction.")
    var batchRows = 1000

    func validate() throws {
        if batchRows < 1 || batchRows > 5000 { throw ValidationError("--batch-rows must be 1 to 5000") }
    }

    func run() async throws {
        let env = ProcessInfo.processInfo.environment
        func value(_ name: String) -> String? { env[name].flatMap { $0.isEmpty ? nil : $0 } }
        // Where the node is, and where it goes, as `serve` reads them (flags > environment > config file).
        let location = try await DataDirOption.resolve(config: config, dataDir: dataDir, metadataUrl: to)
        guard let url = location.metadataURL else { throw ValidationError("--to postgres://… is required") }
        var options = MetadataMigration.Options(dataDir: location.dataDir, metadataURL: url)
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
