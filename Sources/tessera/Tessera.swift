import ArgumentParser
import Foundation
import Logging
import StorageCore
import TesseraServer

@main
struct Tessera: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tessera",
        abstract: "An S3-compatible gateway: S3 REST/XML over a local storage core (SQLite metadata, file blobs).",
        subcommands: [Serve.self, Keys.self],
        defaultSubcommand: Serve.self
    )
}

struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Run the gateway daemon.")

    @Option(help: "Address to listen on, HOST:PORT.")
    var listen = "127.0.0.1:9000"

    @Option(help: "Directory holding metadata and blobs (created if missing).")
    var dataDir = "./data"

    @Option(help: "Region the gateway reports and expects in signatures.")
    var region = "us-east-1"

    @Option(help: "Domain for virtual-hosted style requests (e.g. 'localhost' makes bucket.localhost:PORT address 'bucket'). Path style always works.")
    var domain: String?

    @Option(help: "Access key ID (else $TESSERA_ACCESS_KEY, else generated on first start and kept in the data dir).")
    var accessKey: String?

    @Option(help: "Secret access key (else $TESSERA_SECRET_KEY, else generated with the access key).")
    var secretKey: String?

    @Option(help: "Multipart limit profile: aws (10,000 parts of 5 MiB–5 GiB) or r2 (as aws, plus equal part sizes).")
    var limits = "aws"

    @Option(help: "Override the profile's maximum part count.")
    var maxParts: Int?

    @Option(help: "Override the profile's minimum size in bytes of every part but the last.")
    var minPartSize: Int64?

    @Option(help: "Override the profile's maximum part size in bytes.")
    var maxPartSize: Int64?

    @Option(help: "Abort incomplete multipart uploads older than this many seconds (default 7 days).")
    var abortIncompleteAfter: Double = 7 * 24 * 3600

    @Option(help: "Serve the Worker-style JSON multipart API (?action=mpu-*) on HOST:PORT, bound to --worker-bucket.")
    var workerListen: String?

    @Option(help: "Bucket the Worker JSON API reads and writes (created if missing).")
    var workerBucket = "worker"

    @Option(help: "Bearer token for the Worker JSON API (the S3 secret key is accepted too).")
    var workerToken: String?

    @Flag(help: "Open the Worker JSON API to requests without a token (the seed's sample client sends none).")
    var workerAnonymous = false

    @Option(help: "Serve the task-based chunk upload API (/api/files/upload/...) on HOST:PORT, bound to --tasks-bucket.")
    var tasksListen: String?

    @Option(help: "Bucket the task API stores files in (created if missing).")
    var tasksBucket = "files"

    @Option(help: "Bearer token for the task API (the S3 secret key is accepted too).")
    var tasksToken: String?

    @Flag(help: "Open the task API to requests without a token.")
    var tasksAnonymous = false

    @Option(help: "Most concurrent S3 connections; past it requests get 503 SlowDown.")
    var maxConnections = 1024

    @Option(help: "How often, in seconds, the incomplete-upload sweeper runs.")
    var sweepInterval: Double = 3600

    @Option(help: "Largest clock skew, in seconds, accepted on signed requests (0 disables the check and presigned expiry: only for replaying recorded requests).")
    var maxClockSkew: Double = 900

    @Option(help: "Log level: trace, debug, info, notice, warning, error, critical.")
    var logLevel = "info"

    @Option(help: "PEM certificate chain (leaf first) for HTTPS on --listen; requires --tls-key.")
    var tlsCert: String?

    @Option(help: "PEM private key (unencrypted) for --tls-cert.")
    var tlsKey: String?

    @Flag(help: "Skip fsync of blobs and metadata. Faster; an OS crash may lose acknowledged writes. For throwaway data only.")
    var noFsync = false

    func validate() throws {
        guard LimitProfile.named(limits) != nil else { throw ValidationError("--limits must be aws or r2") }
        guard Self.parseListen(listen) != nil else { throw ValidationError("--listen must be HOST:PORT") }
        if (accessKey == nil) != (secretKey == nil) { throw ValidationError("give both --access-key and --secret-key, or neither") }
        if let m = maxParts, m < 1 || m > 10_000 { throw ValidationError("--max-parts must be 1 to 10000") }
        if let w = workerListen, Self.parseListen(w) == nil { throw ValidationError("--worker-listen must be HOST:PORT") }
        if let t = tasksListen, Self.parseListen(t) == nil { throw ValidationError("--tasks-listen must be HOST:PORT") }
        if (tlsCert == nil) != (tlsKey == nil) { throw ValidationError("give both --tls-cert and --tls-key, or neither") }
        if let tlsCert, let tlsKey {
            for (flag, path) in [("--tls-cert", tlsCert), ("--tls-key", tlsKey)] where !FileManager.default.isReadableFile(atPath: path) {
                throw ValidationError("\(flag) \(path): no such readable file")
            }
            do {
                _ = try Daemon.loadTLSConfiguration(certificatePath: tlsCert, keyPath: tlsKey)
            } catch {
                throw ValidationError("\(error)")
            }
        }
    }

    static func parseListen(_ s: String) -> (String, Int)? {
        guard let colon = s.lastIndex(of: ":"), let port = Int(s[s.index(after: colon)...]), (0...65535).contains(port) else { return nil }
        var host = String(s[..<colon])
        if host.hasPrefix("[") && host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        return (host.isEmpty ? "0.0.0.0" : host, port)
    }

    func run() async throws {
        LoggingSystem.bootstrap { StreamLogHandler.standardError(label: $0) }
        var logger = Logger(label: "tessera")
        logger.logLevel = Logger.Level(rawValue: logLevel) ?? .info

        let env = ProcessInfo.processInfo.environment
        try FileManager.default.createDirectory(atPath: dataDir, withIntermediateDirectories: true)
        let credentials: Credentials
        if let accessKey, let secretKey {
            credentials = Credentials(accessKey: accessKey, secretKey: secretKey)
        } else if let a = env["TESSERA_ACCESS_KEY"], let s = env["TESSERA_SECRET_KEY"], !a.isEmpty, !s.isEmpty {
            credentials = Credentials(accessKey: a, secretKey: s)
        } else {
            credentials = try Credentials.loadOrCreate(in: dataDir)
        }

        var config = ServerConfiguration(accessKey: credentials.accessKey, secretKey: credentials.secretKey)
        (config.host, config.port) = Self.parseListen(listen)!
        config.dataDir = dataDir
        config.region = region
        config.domain = domain
        var profile = LimitProfile.named(limits)!
        if let maxParts { profile.maxParts = maxParts }
        if let minPartSize { profile.minPartSize = minPartSize }
        if let maxPartSize { profile.maxPartSize = maxPartSize }
        config.limits = profile
        config.abortIncompleteAfter = abortIncompleteAfter
        config.sweepInterval = max(0.1, sweepInterval)
        config.maxConnections = max(1, maxConnections)
        config.maxClockSkew = maxClockSkew > 0 ? maxClockSkew : nil
        if let workerListen {
            let (host, port) = Self.parseListen(workerListen)!
            config.worker = .init(host: host, port: port, bucket: workerBucket,
                                  tokens: Set([credentials.secretKey] + (workerToken.map { [$0] } ?? [])), anonymous: workerAnonymous)
        }
        if let tasksListen {
            let (host, port) = Self.parseListen(tasksListen)!
            config.tasks = .init(host: host, port: port, bucket: tasksBucket,
                                 tokens: Set([credentials.secretKey] + (tasksToken.map { [$0] } ?? [])), anonymous: tasksAnonymous)
        }
        config.durable = !noFsync
        config.tlsCertificatePath = tlsCert
        config.tlsKeyPath = tlsKey

        let c = config
        let scheme = c.tlsEnabled ? "https" : "http"
        try await Daemon.run(config, logger: logger) { port in
            print("""
            Tessera listening on \(scheme)://\(c.host):\(port)  (data: \(c.dataDir), region: \(c.region), limits: \(c.limits.name))
              access key: \(c.accessKey)
              secret key: \(c.secretKey)
              try: aws --endpoint-url \(scheme)://\(c.host):\(port) s3 ls
            """)
            fflush(nil)
        }
    }
}

/// The key pair used when none is given: generated once, kept in the data dir with mode 0600.
struct Credentials: Codable {
    var accessKey: String
    var secretKey: String

    static func loadOrCreate(in dataDir: String) throws -> Credentials {
        let path = dataDir + "/credentials.json"
        if let data = FileManager.default.contents(atPath: path), let c = try? JSONDecoder().decode(Credentials.self, from: data) {
            return c
        }
        var g = SystemRandomNumberGenerator()
        let alnum = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789")
        let b64 = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/")
        let access = "TK" + String((0..<18).map { _ in alnum[Int(g.next() % UInt64(alnum.count))] })
        let secret = String((0..<40).map { _ in b64[Int(g.next() % UInt64(b64.count))] })
        let c = Credentials(accessKey: access, secretKey: secret)
        let data = try JSONEncoder().encode(c)
        guard FileManager.default.createFile(atPath: path, contents: data, attributes: [.posixPermissions: 0o600]) else {
            throw ValidationError("cannot write \(path)")
        }
        return c
    }
}
