/// Failures of the SQLite store that are not S3 errors: its schema.
public enum SQLiteMetadataError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The database was migrated by a newer binary: this one does not know its schema.
    case schemaTooNew(path: String, database: Int, binary: Int)
    /// `user_version` holds what no binary writes (negative).
    case badSchemaVersion(path: String, Int)

    public var description: String {
        switch self {
        case .schemaTooNew(let path, let db, let bin):
            "the SQLite metadata schema is version \(db), newer than this binary's \(bin): upgrade tessera (\(path) is left as it is)"
        case .badSchemaVersion(let path, let v):
            "the SQLite metadata schema version of \(path) is \(v), which no tessera writes"
        }
    }
}
