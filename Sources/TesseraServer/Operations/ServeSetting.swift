import Foundation

/// One `tessera serve` setting: a row of the settings table that every surface derives from — the flag
/// (`--data-dir`), the environment variable (`TESSERA_DATA_DIR`), the config-file key (`"data-dir"`), the file
/// name in the credentials directory (`data-dir`), the `--help` text and the table in docs/operator-guide.md.
/// The name and the type are the key's (`ServeOptions.CodingKeys`); the switch below has a row for every key.
public struct ServeSetting: Sendable {
    public var key: ServeOptions.CodingKeys
    /// The `ServeOptions` property that holds the value (its type is the setting's).
    var field: ServeOptions.CodingKeys.Field
    /// The default as documented; nil when there is none (the setting is off, or the value is generated).
    public var defaultValue: String?
    /// Never logged: the effective-configuration line shows `<redacted>`.
    public var isSecret: Bool
    /// The help's name for the value (`--master-key-file <path>`); nil: the key's own.
    public var valueName: String?
    /// For a `*-file` setting: the secret setting whose value the named file holds.
    public var readsSecret: ServeOptions.CodingKeys?
    public var help: String

    init(key: ServeOptions.CodingKeys, field: ServeOptions.CodingKeys.Field, default defaultValue: String? = nil, secret isSecret: Bool = false,
         valueName: String? = nil, readsSecret: ServeOptions.CodingKeys? = nil, help: String) {
        self.key = key
        self.field = field
        self.defaultValue = defaultValue
        self.isSecret = isSecret
        self.valueName = valueName
        self.readsSecret = readsSecret
        self.help = help
    }

    /// Every setting, in the table's order.
    public static var all: [ServeSetting] { ServeOptions.CodingKeys.allCases.map(\.setting) }

    /// The settings table of docs/operator-guide.md, generated here (a test checks the guide holds it as is).
    public static var markdownTable: String {
        var lines = ["| Key (`--flag`, config file, credential file) | Environment | Default | Help |", "|---|---|---|---|"]
        for s in all {
            let name = s.key.kind == .boolean ? "`\(s.key.rawValue)` (true/false)" : "`\(s.key.rawValue)`"
            let help = (s.isSecret ? "Secret: never logged. " : "") + s.help.replacingOccurrences(of: "|", with: "\\|")
            lines.append("| \(name) | `\(s.key.environmentName)` | \(s.defaultValue.map { "`\($0)`" } ?? "") | \(help) |")
        }
        return lines.joined(separator: "\n") + "\n"
    }

    /// The `*-file` settings: (the file setting, the secret it reads).
    public static var secretFiles: [(file: ServeOptions.CodingKeys, secret: ServeOptions.CodingKeys)] {
        all.compactMap { s in s.readsSecret.map { (file: s.key, secret: $0) } }
    }
}

extension ServeOptions.CodingKeys {
    public var setting: ServeSetting {
        switch self {
        case .listen: return ServeSetting(key: .listen, field: .string(\.listen), default: "127.0.0.1:9000",
                                     help: "Address to listen on, HOST:PORT (default 127.0.0.1:9000).")
        case .dataDir: return ServeSetting(key: .dataDir, field: .string(\.dataDir), default: "./data",
                                     help: "Directory holding metadata and blobs, created if missing (default ./data).")
        case .region: return ServeSetting(key: .region, field: .string(\.region), default: "us-east-1",
                                     help: "Region the gateway reports and expects in signatures (default us-east-1).")
        case .domain: return ServeSetting(key: .domain, field: .string(\.domain),
                                     help: "Domain for virtual-hosted style requests (e.g. 'localhost' makes bucket.localhost:PORT address 'bucket'). Path style always works.")
        case .accessKey: return ServeSetting(key: .accessKey, field: .string(\.accessKey),
                                     help: "Access key ID (else generated on first start and kept in the data dir).")
        case .secretKey: return ServeSetting(key: .secretKey, field: .string(\.secretKey), secret: true,
                                     help: "Secret access key (else generated with the access key). A flag's value is visible in ps: prefer --secret-key-file or the credentials directory.")
        case .secretKeyFile: return ServeSetting(key: .secretKeyFile, field: .string(\.secretKeyFile), valueName: "path", readsSecret: .secretKey,
                                     help: "File holding the secret access key (one line; a trailing newline is ignored). Use this or the credentials directory rather than --secret-key, which any user sees in ps.")
        case .limits: return ServeSetting(key: .limits, field: .string(\.limits), default: "aws",
                                     help: "Multipart limit profile: aws (10,000 parts of 5 MiB–5 GiB; the default) or r2 (as aws, plus equal part sizes).")
        case .maxParts: return ServeSetting(key: .maxParts, field: .int(\.maxParts),
                                     help: "Override the profile's maximum part count.")
        case .minPartSize: return ServeSetting(key: .minPartSize, field: .int64(\.minPartSize),
                                     help: "Override the profile's minimum size in bytes of every part but the last.")
        case .maxPartSize: return ServeSetting(key: .maxPartSize, field: .int64(\.maxPartSize),
                                     help: "Override the profile's maximum part size in bytes.")
        case .abortIncompleteAfter: return ServeSetting(key: .abortIncompleteAfter, field: .double(\.abortIncompleteAfter), default: "604800",
                                     help: "Abort incomplete multipart uploads older than this many seconds (default 604800, 7 days).")
        case .workerListen: return ServeSetting(key: .workerListen, field: .string(\.workerListen),
                                     help: "Serve the Worker-style JSON multipart API (?action=mpu-*) on HOST:PORT, bound to --worker-bucket.")
        case .workerBucket: return ServeSetting(key: .workerBucket, field: .string(\.workerBucket), default: "worker",
                                     help: "Bucket the Worker JSON API reads and writes, created if missing (default worker).")
        case .workerToken: return ServeSetting(key: .workerToken, field: .string(\.workerToken), secret: true,
                                     help: "Bearer token for the Worker JSON API (the S3 secret key is accepted too). Visible in ps as a flag: prefer --worker-token-file.")
        case .workerTokenFile: return ServeSetting(key: .workerTokenFile, field: .string(\.workerTokenFile), valueName: "path", readsSecret: .workerToken,
                                     help: "File holding the Worker JSON API bearer token (as --worker-token, kept out of ps).")
        case .workerAnonymous: return ServeSetting(key: .workerAnonymous, field: .bool(\.workerAnonymous), default: "false",
                                     help: "Open the Worker JSON API to requests without a token (the seed's sample client sends none). Default off.")
        case .workerCorsOrigins: return ServeSetting(key: .workerCorsOrigins, field: .string(\.workerCorsOrigins),
                                     help: "Origins whose web pages may call the Worker JSON API from a browser (CORS), comma-separated; `*` wildcards (https://*.example). Default none.")
        case .tasksListen: return ServeSetting(key: .tasksListen, field: .string(\.tasksListen),
                                     help: "Serve the task-based chunk upload API (/api/files/upload/...) on HOST:PORT, bound to --tasks-bucket.")
        case .tasksBucket: return ServeSetting(key: .tasksBucket, field: .string(\.tasksBucket), default: "files",
                                     help: "Bucket the task API stores files in, created if missing (default files).")
        case .tasksToken: return ServeSetting(key: .tasksToken, field: .string(\.tasksToken), secret: true,
                                     help: "Bearer token for the task API (the S3 secret key is accepted too). Visible in ps as a flag: prefer --tasks-token-file.")
        case .tasksTokenFile: return ServeSetting(key: .tasksTokenFile, field: .string(\.tasksTokenFile), valueName: "path", readsSecret: .tasksToken,
                                     help: "File holding the task API bearer token (as --tasks-token, kept out of ps).")
        case .tasksAnonymous: return ServeSetting(key: .tasksAnonymous, field: .bool(\.tasksAnonymous), default: "false",
                                     help: "Open the task API to requests without a token. Default off.")
        case .tasksCorsOrigins: return ServeSetting(key: .tasksCorsOrigins, field: .string(\.tasksCorsOrigins),
                                     help: "Origins whose web pages may call the task API from a browser (CORS), comma-separated; `*` wildcards. Default none.")
        case .maxConnections: return ServeSetting(key: .maxConnections, field: .int(\.maxConnections), default: "1024",
                                     help: "Most concurrent S3 connections; past it requests get 503 SlowDown (default 1024).")
        case .sweepInterval: return ServeSetting(key: .sweepInterval, field: .double(\.sweepInterval), default: "3600",
                                     help: "How often, in seconds, the incomplete-upload sweeper runs (default 3600).")
        case .maxClockSkew: return ServeSetting(key: .maxClockSkew, field: .double(\.maxClockSkew), default: "900",
                                     help: "Largest clock skew, in seconds, accepted on signed requests (default 900; 0 disables the check and presigned expiry: only for replaying recorded requests).")
        case .logLevel: return ServeSetting(key: .logLevel, field: .string(\.logLevel), default: "info",
                                     help: "Log level: trace, debug, info (the default), notice, warning, error, critical.")
        case .logFormat: return ServeSetting(key: .logFormat, field: .string(\.logFormat), default: "logfmt",
                                     help: "Log line format on stderr: logfmt (the default) or json. One access-log line per request at level info.")
        case .tlsCert: return ServeSetting(key: .tlsCert, field: .string(\.tlsCert),
                                     help: "PEM certificate chain (leaf first) for HTTPS on --listen; requires --tls-key.")
        case .tlsKey: return ServeSetting(key: .tlsKey, field: .string(\.tlsKey),
                                     help: "PEM private key (unencrypted) for --tls-cert.")
        case .masterKeyFile: return ServeSetting(key: .masterKeyFile, field: .string(\.masterKeyFile), valueName: "path",
                                     help: "File holding the master key for SSE-S3 (32 random bytes in base64: openssl rand -base64 32); without it, requests for server-side encryption are refused. Back it up: objects sealed under it cannot be read without it.")
        case .allowInsecureSseC: return ServeSetting(key: .allowInsecureSseC, field: .bool(\.allowInsecureSseC), default: "false",
                                     help: "Accept SSE-C (customer-provided keys) over plain HTTP too. S3 refuses them without TLS: a key sent in the clear is exposed. Only for tests, or behind a proxy that ends TLS.")
        case .fsync: return ServeSetting(key: .fsync, field: .bool(\.fsync), default: "true",
                                     help: "fsync blobs and metadata (the default). --no-fsync is faster; an OS crash may lose acknowledged writes: for throwaway data only.")
        case .adminListen: return ServeSetting(key: .adminListen, field: .string(\.adminListen),
                                     help: "Serve /metrics (Prometheus), /health/live and /health/ready on HOST:PORT (off by default). Unauthenticated: keep it on loopback or a private network.")
        case .metadataUrl: return ServeSetting(key: .metadataUrl, field: .string(\.metadataUrl), secret: true, valueName: "url",
                                     help: "Keep metadata in PostgreSQL (postgres://USER:PASS@HOST:PORT/DB[?sslmode=disable|prefer|require]) instead of SQLite in --data-dir, so several gateways can share it; --data-dir is then the blob directory they all share. See docs/operator-guide.md, \"Several gateways\".")
        case .metadataPoolSize: return ServeSetting(key: .metadataPoolSize, field: .int(\.metadataPoolSize), default: "8",
                                     help: "Most connections to the PostgreSQL metadata database (default 8; only with --metadata-url).")
        case .metadataTimeout: return ServeSetting(key: .metadataTimeout, field: .double(\.metadataTimeout), default: "5",
                                     help: "Seconds each PostgreSQL metadata call may take, its wait for a pooled connection included, before the request gets 503 ServiceUnavailable (default 5; only with --metadata-url).")
        }
    }
}
