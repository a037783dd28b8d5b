import AccessKeys
import Foundation
import GatewayHTTP
import PostgresMetadata
import Prometheus
import StorageCore

/// Everything `tessera serve` needs, however it was given (flags, environment).
public struct ServerConfiguration: Sendable {
    public var host = "127.0.0.1"
    public var port = 9000
    /// Blobs (and, without `postgres`, the SQLite metadata); with `postgres`, the blob directory every gateway shares.
    public var dataDir = "./data"
    /// Metadata in a PostgreSQL database that several gateways share; nil: the embedded SQLite store in `dataDir`.
    public var postgres: SharedMetadata?

    public struct SharedMetadata: Sendable {
        public var location: PostgresLocation
        /// Most pooled connections to the database.
        public var poolSize: Int
        /// The bound on every metadata call, its wait for a pooled connection included: past it the request gets 503.
        public var timeout: Duration
        public init(location: PostgresLocation, poolSize: Int = 8, timeout: Duration = PostgresMetadataStore.defaultTimeout) {
            self.location = location; self.poolSize = poolSize; self.timeout = timeout
        }
    }

    /// With shared metadata, the start-up sweep removes only temporaries and unreferenced blobs last
    /// modified longer ago than this: younger ones may be another gateway's writes in flight.
    public static let sharedSweepMinAge: TimeInterval = 3600
    public var region = "us-east-1"
    /// Enables virtual-hosted style under this domain (e.g. "localhost" → bucket.localhost).
    public var domain: String?
    public var accessKey: String
    public var secretKey: String
    public var limits = LimitProfile.aws
    /// Incomplete uploads older than this are aborted by the sweeper.
    public var abortIncompleteAfter: TimeInterval = 7 * 24 * 3600
    /// How often the incomplete-upload sweeper runs.
    public var sweepInterval: TimeInterval = 3600
    /// Clock skew allowed for signed requests; nil disables the check.
    public var maxClockSkew: TimeInterval? = 900
    /// Concurrent connections on the S3 listener; past it, requests get 503 SlowDown.
    public var maxConnections = 1024
    /// fsync blobs and metadata. Off only for throwaway test data.
    public var durable = true
    /// PEM certificate chain and private key: when both are set the listener speaks HTTPS only.
    public var tlsCertificatePath: String?
    public var tlsKeyPath: String?
    public var tlsEnabled: Bool { tlsCertificatePath != nil && tlsKeyPath != nil }
    /// The master key file SSE-S3 data keys are wrapped under (`MasterKey`); without it SSE requests are refused.
    public var masterKeyPath: String?
    /// Accept SSE-C keys over plain HTTP (`--allow-insecure-sse-c`); by default only over TLS, as S3.
    public var allowInsecureSSEC = false

    /// The Worker-style JSON API (seeds 000/001): its own listener, bound to one bucket.
    public var worker: JSONFrontEnd?
    /// The task-based chunk upload API (seed 003): its own listener, bound to one bucket.
    public var tasks: JSONFrontEnd?

    /// A JSON front end's listener, bound bucket and who may use it.
    public struct JSONFrontEnd: Sendable {
        public var host: String
        public var port: Int
        public var bucket: String
        /// Bearer tokens accepted (the --*-token value and the S3 secret key).
        public var tokens: Set<String>
        /// Open to anyone, deliberately (the seed's sample client sends no credentials).
        public var anonymous: Bool
        /// Origins whose pages may call it from a browser (`--worker-cors-origins`, `--tasks-cors-origins`;
        /// `*` wildcards); none by default.
        public var corsOrigins: [String]
        public init(host: String, port: Int, bucket: String, tokens: Set<String>, anonymous: Bool, corsOrigins: [String] = []) {
            self.host = host; self.port = port; self.bucket = bucket; self.tokens = tokens; self.anonymous = anonymous
            self.corsOrigins = corsOrigins
        }

        /// The one CORS rule its origins make (no rule without origins).
        var corsRules: [CORSRule] { CORSRule.jsonFrontEnd(origins: corsOrigins) }

        /// Who may use this front end: its tokens, or an access key's secret within the key's scopes.
        func access(_ scopes: KeyScopes) -> BearerAccess {
            BearerAccess(bucket: bucket, tokens: tokens, anonymous: anonymous, scopes: scopes)
        }
    }

    /// The admin listener (/metrics, /health/live, /health/ready), off unless set.
    public var admin: AdminListener?
    /// Where /metrics reads from: the registry the CLI bootstrapped swift-metrics with.
    public var metricsRegistry: PrometheusCollectorRegistry?

    public struct AdminListener: Sendable {
        public var host: String
        public var port: Int
        public init(host: String, port: Int) { self.host = host; self.port = port }
    }

    public init(accessKey: String, secretKey: String) {
        self.accessKey = accessKey
        self.secretKey = secretKey
    }
}
