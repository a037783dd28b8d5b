import Foundation
import GatewayHTTP
import PostgresMetadata
import StorageCore

/// Every `tessera serve` setting, each optional: one value per layer (flags, environment, secret files,
/// config file), read through one swift-configuration reader (`ServeConfigReader`) with one precedence —
/// flags > environment (TESSERA_*) > secret files > file > defaults. Each key's help, default and secrecy are
/// its row in `ServeSetting`.
///
/// The config file is a JSON object whose keys are the long flag names without dashes in front
/// (`"listen"`, `"data-dir"`, `"max-parts"`, …; the `--fsync/--no-fsync` pair is `"fsync": false`).
/// Each key's environment variable is `TESSERA_` plus the key in upper case with `_` for `-`
/// (`TESSERA_DATA_DIR`). Unknown keys and wrong types are errors that name the key.
public struct ServeOptions: Codable, Equatable, Sendable {
    public var listen: String?
    public var dataDir: String?
    public var region: String?
    public var domain: String?
    public var accessKey: String?
    public var secretKey: String?
    public var secretKeyFile: String?
    public var limits: String?
    public var maxParts: Int?
    public var minPartSize: Int64?
    public var maxPartSize: Int64?
    public var abortIncompleteAfter: Double?
    public var workerListen: String?
    public var workerBucket: String?
    public var workerToken: String?
    public var workerTokenFile: String?
    public var workerAnonymous: Bool?
    public var workerCorsOrigins: String?
    public var tasksListen: String?
    public var tasksBucket: String?
    public var tasksToken: String?
    public var tasksTokenFile: String?
    public var tasksAnonymous: Bool?
    public var tasksCorsOrigins: String?
    public var maxConnections: Int?
    public var sweepInterval: Double?
    public var maxClockSkew: Double?
    public var logLevel: String?
    public var logFormat: String?
    public var tlsCert: String?
    public var tlsKey: String?
    public var masterKeyFile: String?
    public var allowInsecureSseC: Bool?
    public var fsync: Bool?
    public var adminListen: String?
    public var metadataUrl: String?
    public var metadataPoolSize: Int?
    public var metadataTimeout: Double?

    public init() {}

    public enum CodingKeys: String, CodingKey, CaseIterable, Sendable {
        case listen
        case dataDir = "data-dir"
        case region, domain
        case accessKey = "access-key"
        case secretKey = "secret-key"
        case secretKeyFile = "secret-key-file"
        case limits
        case maxParts = "max-parts"
        case minPartSize = "min-part-size"
        case maxPartSize = "max-part-size"
        case abortIncompleteAfter = "abort-incomplete-after"
        case workerListen = "worker-listen"
        case workerBucket = "worker-bucket"
        case workerToken = "worker-token"
        case workerTokenFile = "worker-token-file"
        case workerAnonymous = "worker-anonymous"
        case workerCorsOrigins = "worker-cors-origins"
        case tasksListen = "tasks-listen"
        case tasksBucket = "tasks-bucket"
        case tasksToken = "tasks-token"
        case tasksTokenFile = "tasks-token-file"
        case tasksAnonymous = "tasks-anonymous"
        case tasksCorsOrigins = "tasks-cors-origins"
        case maxConnections = "max-connections"
        case sweepInterval = "sweep-interval"
        case maxClockSkew = "max-clock-skew"
        case logLevel = "log-level"
        case logFormat = "log-format"
        case tlsCert = "tls-cert"
        case tlsKey = "tls-key"
        case masterKeyFile = "master-key-file"
        case allowInsecureSseC = "allow-insecure-sse-c"
        case fsync
        case adminListen = "admin-listen"
        case metadataUrl = "metadata-url"
        case metadataPoolSize = "metadata-pool-size"
        case metadataTimeout = "metadata-timeout"

        public enum Kind: String, Sendable {
            case string, integer, number, boolean
            var described: String {
                switch self {
                case .string: return "a string"
                case .integer: return "an integer"
                case .number: return "a number"
                case .boolean: return "true or false"
                }
            }
        }

        public var kind: Kind {
            switch field {
            case .string: return .string
            case .int, .int64: return .integer
            case .double: return .number
            case .bool: return .boolean
            }
        }

        /// The property holding a key's value, and so its type. (A key path to a stored property is an
        /// immutable value, safe to share.)
        enum Field: @unchecked Sendable {
            case string(WritableKeyPath<ServeOptions, String?>)
            case int(WritableKeyPath<ServeOptions, Int?>)
            case int64(WritableKeyPath<ServeOptions, Int64?>)
            case double(WritableKeyPath<ServeOptions, Double?>)
            case bool(WritableKeyPath<ServeOptions, Bool?>)
        }

        /// The property holding the key's value: its row's (`ServeSetting.field`).
        var field: Field { setting.field }

        /// TESSERA_DATA_DIR for "data-dir".
        public var environmentName: String { "TESSERA_" + rawValue.uppercased().replacingOccurrences(of: "-", with: "_") }
        public var flag: String { "--" + rawValue }
    }

    public func isSet(_ key: CodingKeys) -> Bool {
        switch key.field {
        case .string(let p): return self[keyPath: p] != nil
        case .int(let p): return self[keyPath: p] != nil
        case .int64(let p): return self[keyPath: p] != nil
        case .double(let p): return self[keyPath: p] != nil
        case .bool(let p): return self[keyPath: p] != nil
        }
    }

    /// Keys set in this layer.
    public var keysSet: [CodingKeys] { CodingKeys.allCases.filter(isSet) }

    // MARK: layers

    /// Reads a JSON config file. Errors name the file and the offending key.
    public static func load(configFile path: String) throws -> ServeOptions {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw ConfigError("config file \(path): cannot read it (no such file, or not readable)")
        }
        return try decode(data, source: "config file \(path)")
    }

    public static func decode(_ data: Data, source: String) throws -> ServeOptions {
        let decoder = JSONDecoder()
        do {
            let keys = try decoder.decode(TopLevelKeys.self, from: data).keys
            for key in keys where CodingKeys(rawValue: key) == nil {
                let spelled = key.lowercased().replacingOccurrences(of: "_", with: "-")
                let hint = CodingKeys(rawValue: spelled).map { " (did you mean \"\($0.rawValue)\"?)" } ?? ""
                throw ConfigError("\(source): unknown key \"\(key)\"\(hint); known keys: \(CodingKeys.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            return try decoder.decode(ServeOptions.self, from: data)
        } catch let e as ConfigError {
            throw e
        } catch let e as DecodingError {
            if case .dataCorrupted(let ctx) = e, ctx.codingPath.isEmpty {
                // Foundation reports some wrong types (2.5 for an integer) as corrupt data with no key: find the key.
                if (try? JSONSerialization.jsonObject(with: data)) != nil,
                   let key = CodingKeys.allCases.first(where: { key in
                       let d = JSONDecoder()
                       d.userInfo[KeyProbe.key] = key
                       return (try? d.decode(KeyProbe.self, from: data)) == nil
                   }) {
                    throw ConfigError("\(source): key \"\(key.rawValue)\": expected \(key.kind.described)")
                }
                do {
                    _ = try JSONSerialization.jsonObject(with: data)
                } catch {
                    let detail = (error as NSError).userInfo[NSDebugDescriptionErrorKey] as? String ?? "\(error)"
                    throw ConfigError("\(source): not valid JSON (\(detail))")
                }
            }
            throw ConfigError(describe(e, source: source))
        }
    }

    /// Decodes one key alone, with its type: the probe that finds which key a decoding error is about.
    private struct KeyProbe: Decodable {
        static let key = CodingUserInfoKey(rawValue: "tessera.config.probe")!
        init(from decoder: any Decoder) throws {
            guard let key = decoder.userInfo[Self.key] as? CodingKeys else { return }
            let c = try decoder.container(keyedBy: CodingKeys.self)
            switch key.field {
            case .string: _ = try c.decodeIfPresent(String.self, forKey: key)
            case .int: _ = try c.decodeIfPresent(Int.self, forKey: key)
            case .int64: _ = try c.decodeIfPresent(Int64.self, forKey: key)
            case .double: _ = try c.decodeIfPresent(Double.self, forKey: key)
            case .bool: _ = try c.decodeIfPresent(Bool.self, forKey: key)
            }
        }
    }

    /// The environment layer: TESSERA_<KEY> variables (empty values count as unset), typed per key.
    public static func fromEnvironment(_ env: [String: String]) throws -> ServeOptions {
        var o = ServeOptions()
        for key in CodingKeys.allCases {
            guard let raw = env[key.environmentName], !raw.isEmpty else { continue }
            guard o.set(key, text: raw.trimmingCharacters(in: .whitespaces), raw: raw) else {
                throw ConfigError("\(key.environmentName) (\(key.rawValue)): expected \(key.kind.described), got \"\(raw)\"")
            }
        }
        return o
    }

    /// Sets `key` from its text form (an environment variable's, a flag's value): false when the text is
    /// not of the key's kind. A boolean is 1/true/yes/on or 0/false/no/off; `raw` is what a string keeps.
    mutating func set(_ key: CodingKeys, text: String, raw: String? = nil) -> Bool {
        switch key.field {
        case .string(let p): self[keyPath: p] = raw ?? text
        case .int(let p):
            guard let v = Int(text) else { return false }
            self[keyPath: p] = v
        case .int64(let p):
            guard let v = Int64(text) else { return false }
            self[keyPath: p] = v
        case .double(let p):
            guard let v = Double(text), v.isFinite else { return false }
            self[keyPath: p] = v
        case .bool(let p):
            switch text.lowercased() {
            case "1", "true", "yes", "on": self[keyPath: p] = true
            case "0", "false", "no", "off": self[keyPath: p] = false
            default: return false
            }
        }
        return true
    }

    public enum Source: Sendable, Equatable {
        case flag, environment, file(String)
        /// A secret read from the file a `*-file` setting names (the path).
        case secretFile(String)
        /// A file in the systemd credentials directory (`$CREDENTIALS_DIRECTORY`; the directory).
        case credentialsDirectory(String)
    }

    /// Merged settings plus, per key, which layer set it (for error messages).
    public struct Resolved: Sendable {
        public var options: ServeOptions
        public var sources: [CodingKeys: Source]

        /// "listen (from TESSERA_LISTEN)", "max-parts (from --max-parts)", "region (from config file x.json)".
        public func name(_ key: CodingKeys) -> String {
            sources[key] == nil ? key.rawValue : "\(key.rawValue) (from \(origin(key)))"
        }
    }

    // MARK: decoding errors

    private struct AnyKey: CodingKey {
        var stringValue: String
        var intValue: Int? { nil }
        init?(stringValue: String) { self.stringValue = stringValue }
        init?(intValue: Int) { nil }
    }

    /// The top-level keys of a JSON object (and an error naming the problem when it is not one).
    private struct TopLevelKeys: Decodable {
        let keys: [String]
        init(from decoder: any Decoder) throws {
            keys = try decoder.container(keyedBy: AnyKey.self).allKeys.map(\.stringValue)
        }
    }

    private static func describe(_ error: DecodingError, source: String) -> String {
        func keyName(_ path: [any CodingKey]) -> String? { path.first.map(\.stringValue) }
        func expected(_ key: String?) -> String {
            guard let key, let k = CodingKeys(rawValue: key) else { return "" }
            return ": expected \(k.kind.described)"
        }
        switch error {
        case .typeMismatch(_, let ctx), .valueNotFound(_, let ctx):
            if let key = keyName(ctx.codingPath) { return "\(source): key \"\(key)\"\(expected(key))" }
            return "\(source): the top level must be a JSON object of settings"
        case .dataCorrupted(let ctx):
            if let key = keyName(ctx.codingPath) { return "\(source): key \"\(key)\"\(expected(key)) (\(ctx.debugDescription))" }
            let underlying = (ctx.underlyingError as NSError?)?.userInfo[NSDebugDescriptionErrorKey] as? String
            return "\(source): not valid JSON (\(underlying ?? ctx.debugDescription))"
        case .keyNotFound(let key, _):
            return "\(source): missing key \"\(key.stringValue)\""
        @unknown default:
            return "\(source): \(error)"
        }
    }
}

/// A configuration problem: printed as is, exit status 1.
public struct ConfigError: Error, CustomStringConvertible, Equatable {
    public var description: String
    public init(_ description: String) { self.description = description }
}

extension ServeOptions {
    public static let defaultListen = "127.0.0.1:9000"
    public static let defaultDataDir = "./data"

    /// HOST:PORT → (host, port); "[::1]:9000" and ":9000" (all addresses) included.
    public static func parseHostPort(_ s: String) -> (host: String, port: Int)? {
        guard let colon = s.lastIndex(of: ":"), let port = Int(s[s.index(after: colon)...]), (0...65535).contains(port) else { return nil }
        var host = String(s[..<colon])
        if host.hasPrefix("[") && host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        if host.contains(" ") || host.contains("/") { return nil }
        return (host.isEmpty ? "0.0.0.0" : host, port)
    }

    /// A comma-separated list of origins (`https://app.example`, `https://*.example`, `*`) → the origins.
    public static func corsOrigins(_ list: String) -> [String] {
        list.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
    }

    /// Why a list of CORS origins is refused, nil if it is not: an empty entry, a space inside one, or
    /// more than one `*` in one (S3's rule for AllowedOrigin).
    static func corsOriginsProblem(_ list: String) -> String? {
        let origins = corsOrigins(list)
        if origins.isEmpty || list.split(separator: ",", omittingEmptySubsequences: false).contains(where: { $0.trimmingCharacters(in: .whitespaces).isEmpty }) {
            return "must be a comma-separated list of origins (e.g. https://app.example,https://*.example), got \"\(list)\""
        }
        for origin in origins {
            if origin.contains(" ") || origin.contains("\t") { return "origin \"\(origin)\" contains a space" }
            if origin.utf8.count(where: { $0 == UInt8(ascii: "*") }) > 1 { return "origin \"\(origin)\" can not have more than one wildcard" }
        }
        return nil
    }

    /// Checks the merged settings; the message names the key and where its value came from.
    public static func validate(_ r: Resolved) throws {
        let o = r.options
        func fail(_ key: CodingKeys, _ why: String) -> ConfigError { ConfigError("\(r.name(key)): \(why)") }
        for (key, value) in [(CodingKeys.listen, o.listen), (.adminListen, o.adminListen), (.workerListen, o.workerListen),
                             (.tasksListen, o.tasksListen)] {
            if let value, parseHostPort(value) == nil { throw fail(key, "must be HOST:PORT, got \"\(value)\"") }
        }
        for (key, value) in [(CodingKeys.workerCorsOrigins, o.workerCorsOrigins), (.tasksCorsOrigins, o.tasksCorsOrigins)] {
            guard let value else { continue }
            if let why = corsOriginsProblem(value) { throw fail(key, why) }
        }
        if let l = o.limits, LimitProfile.named(l) == nil { throw fail(.limits, "must be aws or r2, got \"\(l)\"") }
        if (o.accessKey == nil) != (o.secretKey == nil) {
            throw fail(o.accessKey == nil ? .secretKey : .accessKey,
                       "give both access-key and secret-key (flags, TESSERA_ACCESS_KEY/TESSERA_SECRET_KEY, or the config file), or neither")
        }
        if let m = o.maxParts, m < 1 || m > 10_000 { throw fail(.maxParts, "must be 1 to 10000, got \(m)") }
        if let m = o.minPartSize, m < 0 { throw fail(.minPartSize, "must not be negative") }
        if let m = o.maxPartSize, m < 1 { throw fail(.maxPartSize, "must be positive") }
        if let a = o.abortIncompleteAfter, !(a > 0) { throw fail(.abortIncompleteAfter, "must be a positive number of seconds") }
        if let s = o.sweepInterval, !(s > 0) { throw fail(.sweepInterval, "must be a positive number of seconds") }
        if let s = o.maxClockSkew, !(s >= 0) { throw fail(.maxClockSkew, "must be 0 (off) or a positive number of seconds") }
        if let m = o.maxConnections, m < 1 { throw fail(.maxConnections, "must be at least 1") }
        if let l = o.logLevel, !["trace", "debug", "info", "notice", "warning", "error", "critical"].contains(l) {
            throw fail(.logLevel, "must be trace, debug, info, notice, warning, error or critical, got \"\(l)\"")
        }
        if let url = o.metadataUrl {
            // The message leaves the URL out: it may hold a password.
            do { _ = try PostgresLocation(url: url) } catch { throw fail(.metadataUrl, "\(error)") }
        }
        if let n = o.metadataPoolSize {
            if o.metadataUrl == nil { throw fail(.metadataPoolSize, "applies only with metadata-url (PostgreSQL)") }
            if n < 1 || n > 1000 { throw fail(.metadataPoolSize, "must be 1 to 1000, got \(n)") }
        }
        if let t = o.metadataTimeout {
            if o.metadataUrl == nil { throw fail(.metadataTimeout, "applies only with metadata-url (PostgreSQL)") }
            if !(t >= 0.1 && t <= 3600) { throw fail(.metadataTimeout, "must be 0.1 to 3600 seconds, got \(t)") }
        }
        if let f = o.logFormat, LogFormat(rawValue: f) == nil { throw fail(.logFormat, "must be json or logfmt, got \"\(f)\"") }
        if (o.tlsCert == nil) != (o.tlsKey == nil) {
            throw fail(o.tlsCert == nil ? .tlsKey : .tlsCert, "give both tls-cert and tls-key, or neither")
        }
        if let cert = o.tlsCert, let key = o.tlsKey {
            for (k, path) in [(CodingKeys.tlsCert, cert), (.tlsKey, key)] where !FileManager.default.isReadableFile(atPath: path) {
                throw fail(k, "\(path): no such readable file")
            }
            do {
                _ = try Daemon.loadTLSConfiguration(certificatePath: cert, keyPath: key)
            } catch {
                throw fail(.tlsCert, "\(error)")
            }
        }
        if let path = o.masterKeyFile {
            // Missing, unreadable or malformed: refused now, never served without the key it names.
            do { _ = try MasterKey.load(path: path) } catch { throw fail(.masterKeyFile, "\(error)") }
        }
    }

    /// The daemon's configuration from validated settings and the key pair to use.
    public func serverConfiguration(accessKey: String, secretKey: String) -> ServerConfiguration {
        var config = ServerConfiguration(accessKey: accessKey, secretKey: secretKey)
        (config.host, config.port) = Self.parseHostPort(listen ?? Self.defaultListen)!
        config.dataDir = dataDir ?? Self.defaultDataDir
        config.region = region ?? "us-east-1"
        config.domain = domain
        var profile = LimitProfile.named(limits ?? "aws")!
        if let maxParts { profile.maxParts = maxParts }
        if let minPartSize { profile.minPartSize = minPartSize }
        if let maxPartSize { profile.maxPartSize = maxPartSize }
        config.limits = profile
        config.abortIncompleteAfter = abortIncompleteAfter ?? 7 * 24 * 3600
        config.sweepInterval = max(0.1, sweepInterval ?? 3600)
        config.maxConnections = max(1, maxConnections ?? 1024)
        let skew = maxClockSkew ?? 900
        config.maxClockSkew = skew > 0 ? skew : nil
        if let workerListen, let (host, port) = Self.parseHostPort(workerListen) {
            config.worker = .init(host: host, port: port, bucket: workerBucket ?? "worker",
                                  tokens: Set([secretKey] + (workerToken.map { [$0] } ?? [])), anonymous: workerAnonymous ?? false,
                                  corsOrigins: workerCorsOrigins.map(Self.corsOrigins) ?? [])
        }
        if let tasksListen, let (host, port) = Self.parseHostPort(tasksListen) {
            config.tasks = .init(host: host, port: port, bucket: tasksBucket ?? "files",
                                 tokens: Set([secretKey] + (tasksToken.map { [$0] } ?? [])), anonymous: tasksAnonymous ?? false,
                                 corsOrigins: tasksCorsOrigins.map(Self.corsOrigins) ?? [])
        }
        config.durable = fsync ?? true
        config.tlsCertificatePath = tlsCert
        config.tlsKeyPath = tlsKey
        config.masterKeyPath = masterKeyFile
        config.allowInsecureSSEC = allowInsecureSseC ?? false
        if let adminListen, let (host, port) = Self.parseHostPort(adminListen) {
            config.admin = .init(host: host, port: port)
        }
        if let metadataUrl, let location = try? PostgresLocation(url: metadataUrl) {  // validated
            config.postgres = .init(location: location, poolSize: metadataPoolSize ?? 8,
                                    timeout: metadataTimeout.map { .milliseconds(Int64(($0 * 1000).rounded())) } ?? PostgresMetadataStore.defaultTimeout)
        }
        return config
    }
}
