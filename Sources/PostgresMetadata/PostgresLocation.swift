import Foundation

/// Where a PostgreSQL database is: parsed from a `postgres://user:password@host:port/database` URL
/// (`postgresql://` too; `?sslmode=disable|prefer|require`, disable by default).
///
/// `description` never shows the password: print or log a location freely.
public struct PostgresLocation: Sendable, Equatable, CustomStringConvertible {
    public enum SSLMode: String, Sendable { case disable, prefer, require }

    public var host: String
    public var port: Int
    public var username: String
    public var password: String?
    public var database: String
    public var sslMode: SSLMode

    public init(host: String, port: Int = 5432, username: String, password: String? = nil, database: String,
                sslMode: SSLMode = .disable) {
        self.host = host; self.port = port; self.username = username; self.password = password
        self.database = database; self.sslMode = sslMode
    }

    /// Throws `PostgresMetadataError.badURL` (whose message leaves the password out).
    public init(url: String) throws {
        guard let c = URLComponents(string: url), c.scheme == "postgres" || c.scheme == "postgresql",
              let host = c.host, !host.isEmpty else {
            throw PostgresMetadataError.badURL("expected postgres://user[:password]@host[:port]/database")
        }
        self.host = host
        port = c.port ?? 5432
        username = c.user.flatMap { $0.removingPercentEncoding } ?? "postgres"
        password = c.password.flatMap { $0.removingPercentEncoding }
        let path = c.path.hasPrefix("/") ? String(c.path.dropFirst()) : c.path
        database = path.removingPercentEncoding ?? path
        if database.isEmpty { database = username }
        sslMode = .disable
        for item in c.queryItems ?? [] where item.name == "sslmode" {
            guard let mode = item.value.flatMap(SSLMode.init(rawValue:)) else {
                throw PostgresMetadataError.badURL("sslmode must be disable, prefer or require")
            }
            sslMode = mode
        }
    }

    /// The same server and credentials, another database.
    public func database(_ name: String) -> PostgresLocation {
        var l = self
        l.database = name
        return l
    }

    /// The URL with the password replaced by `***`.
    public var description: String {
        let auth = password == nil ? username : "\(username):***"
        return "postgres://\(auth)@\(host):\(port)/\(database)?sslmode=\(sslMode.rawValue)"
    }
}

/// Failures of the PostgreSQL store that are not S3 errors: configuration and schema.
public enum PostgresMetadataError: Error, Sendable, Equatable, CustomStringConvertible {
    case badURL(String)
    /// The database was migrated by a newer binary: this one does not know its schema.
    case schemaTooNew(database: Int, binary: Int)
    /// The schema's bookkeeping is not what any binary writes (e.g. several version rows).
    case badSchemaVersion(String)

    public var description: String {
        switch self {
        case .badURL(let m): "bad PostgreSQL URL: \(m)"
        case .schemaTooNew(let db, let bin):
            "the PostgreSQL metadata schema is version \(db), newer than this binary's \(bin): upgrade tessera, or use another database"
        case .badSchemaVersion(let m): "the PostgreSQL metadata schema version is unreadable: \(m)"
        }
    }
}
