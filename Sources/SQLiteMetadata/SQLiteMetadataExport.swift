import CSQLite
import Foundation
import StorageCore

/// Every row a SQLite metadata database holds for the tables PostgreSQL keeps, table by table, for
/// `tessera migrate`. Read-only (the file stays as it is: it is the way back), in one snapshot (a read
/// transaction held from `init` to the end), through the store's own `SQLiteConnection`.
///
/// Columns come in the order, and under the names, the PostgreSQL schema gives them
/// (`segments.offset` is PostgreSQL's `byte_offset`); values as SQLite stores them, except
/// `parts.checksums`, given as PostgreSQL keeps it: a JSON object of strings (sorted keys), NULL for none.
///
/// Not thread-safe: one caller, one call at a time (on any thread). Every call blocks.
package final class SQLiteMetadataExport: @unchecked Sendable {
    /// One table: its name and the SELECT that reads it, ordered by its primary key.
    package struct Table: Sendable {
        package let name: String
        package let columns: [String]
        let select: String
    }

    /// buckets, bucket_config, objects, kept_versions, segments, uploads, parts, garbage, the task API's upload_tasks and
    /// files, and upload_tickets: the order a copy writes them in.
    package static let tables: [Table] = [
        Table(name: "buckets", columns: ["name", "created", "region", "owner"],
              select: "SELECT name, created, region, owner FROM buckets ORDER BY name"),
        Table(name: "bucket_config", columns: ["bucket", "name", "value"],
              select: "SELECT bucket, name, value FROM bucket_config ORDER BY bucket, name"),
        Table(name: "objects", columns: ["bucket", "key", "version", "size", "etag", "mtime", "attrs", "parts_count", "storage_class", "versioned"],
              select: "SELECT bucket, key, version, size, etag, mtime, attrs, parts_count, storage_class, versioned FROM objects ORDER BY bucket, key"),
        Table(name: "kept_versions", columns: ["bucket", "key", "version", "size", "etag", "mtime", "attrs", "parts_count", "storage_class",
                                               "versioned", "delete_marker"],
              select: """
                SELECT bucket, key, version, size, etag, mtime, attrs, parts_count, storage_class, versioned, delete_marker
                FROM kept_versions ORDER BY bucket, key, version
                """),
        // A multipart object kept as a part manifest (`PartManifest`) has its segments written out: PostgreSQL
        // keeps every object's segments as rows.
        Table(name: "segments", columns: ["version", "byte_offset", "size", "blob", "part_number", "checksum", "data"],
              select: """
                SELECT version, offset, size, blob, part_number, checksum, data FROM segments
                UNION ALL
                SELECT m.version, sum(p.size) OVER (PARTITION BY m.version ORDER BY p.part_number) - p.size, p.size, p.blob, p.part_number,
                       CASE WHEN m.checksum IS NULL THEN NULL ELSE json_extract(p.checksums, '$.c."' || m.checksum || '"') END, NULL
                FROM manifests m JOIN parts p ON p.upload_id = m.upload_id
                ORDER BY 1, 2
                """),
        Table(name: "uploads", columns: ["upload_id", "bucket", "key", "initiated", "attrs", "checksum_algorithm", "checksum_type"],
              select: "SELECT upload_id, bucket, key, initiated, attrs, checksum_algorithm, checksum_type FROM uploads ORDER BY upload_id"),
        Table(name: "parts", columns: ["upload_id", "part_number", "blob", "size", "etag", "mtime", "checksums"],
              select: """
                SELECT upload_id, part_number, blob, size, etag, mtime, checksums FROM parts
                WHERE upload_id NOT IN (SELECT upload_id FROM manifests) ORDER BY upload_id, part_number
                """),
        Table(name: "garbage", columns: ["blob", "version"],
              select: "SELECT blob, version FROM garbage ORDER BY blob"),
        Table(name: "upload_tasks", columns: ["id", "record"],
              select: "SELECT id, record FROM upload_tasks ORDER BY id"),
        Table(name: "files", columns: ["id", "md5", "sha256", "expires", "record"],
              select: "SELECT id, md5, sha256, expires, record FROM files ORDER BY id"),
        Table(name: "upload_tickets", columns: ["id", "record", "max_bytes", "max_files", "revoked", "bytes_used", "files_used"],
              select: "SELECT id, record, max_bytes, max_files, revoked, bytes_used, files_used FROM upload_tickets ORDER BY id"),
    ]

    /// A value as SQLite stored it.
    package enum Value: Sendable, Equatable {
        case null
        case int(Int64)
        case double(Double)
        case text(String)
        case bytes([UInt8])
    }

    /// The database is not one this binary can read as it is.
    package struct Refused: Error, CustomStringConvertible {
        package let description: String
    }

    private let connection: SQLiteConnection
    package let path: String

    /// Opens `path` read-only and starts the snapshot. Refuses a database that is missing, or whose schema
    /// version is not this binary's (a newer one: `SQLiteMetadataError.schemaTooNew`; an older one is
    /// migrated by opening it once with `tessera serve` or an admin command, which this reader never does).
    package init(path: String) throws {
        guard FileManager.default.fileExists(atPath: path) else { throw Refused(description: "no metadata database at \(path)") }
        self.path = path
        connection = try SQLiteConnection(path: path, readOnly: true)
        try SQLiteSchema.check(connection, path: path)
        let version = try SQLiteSchema.version(connection)
        guard version == SQLiteSchema.current else {
            throw Refused(description: "the SQLite metadata schema of \(path) is version \(version), older than this binary's "
                          + "\(SQLiteSchema.current): open it once with this binary (e.g. tessera fsck --data-dir), which migrates it, then migrate")
        }
        try connection.exec("BEGIN")
        try connection.query("SELECT count(*) FROM buckets") { _ in }   // the snapshot starts at the first read
    }

    deinit { try? connection.exec("COMMIT") }

    /// How many rows `table`'s cursor gives.
    package func rowCount(_ table: Table) throws -> Int {
        var n: Int64 = 0
        try connection.query("SELECT count(*) FROM (\(table.select))") { n = $0.int(0) }
        return Int(n)
    }

    /// Reads one table in primary-key order, some rows at a time.
    package func cursor(_ table: Table) throws -> Cursor {
        try Cursor(connection: connection, table: table)
    }

    package final class Cursor: @unchecked Sendable {
        private let connection: SQLiteConnection
        private let statement: OpaquePointer
        private let table: Table
        private let checksumsColumn: Int32?
        private var done = false

        fileprivate init(connection: SQLiteConnection, table: Table) throws {
            var s: OpaquePointer?
            guard sqlite3_prepare_v2(connection.db, table.select, -1, &s, nil) == SQLITE_OK, let s else {
                throw connection.error("prepare \(table.select)")
            }
            self.connection = connection
            statement = s
            self.table = table
            checksumsColumn = table.name == "parts" ? table.columns.firstIndex(of: "checksums").map { Int32($0) } : nil
        }

        deinit { sqlite3_finalize(statement) }

        /// The next rows, at most `limit` of them and about `maxBytes` (at least one row); empty at the end.
        package func next(limit: Int, maxBytes: Int) throws -> [[Value]] {
            var rows: [[Value]] = []
            var bytes = 0
            while !done && rows.count < limit && (rows.isEmpty || bytes < maxBytes) {
                let rc = sqlite3_step(statement)
                if rc == SQLITE_DONE { done = true; break }
                guard rc == SQLITE_ROW else { throw connection.error("step \(table.select)") }
                var row: [Value] = []
                row.reserveCapacity(table.columns.count)
                for i in 0..<Int32(table.columns.count) {
                    var value = try Self.value(statement, i, table)
                    if i == checksumsColumn { value = try partChecksums(value) }
                    if case .bytes(let b) = value { bytes += b.count }
                    if case .text(let t) = value { bytes += t.utf8.count }
                    row.append(value)
                }
                rows.append(row)
            }
            return rows
        }

        /// Text that is not UTF-8 is refused (PostgreSQL's text is UTF-8; nothing is replaced on the way).
        private static func value(_ s: OpaquePointer, _ i: Int32, _ table: Table) throws -> Value {
            switch sqlite3_column_type(s, i) {
            case SQLITE_NULL: return .null
            case SQLITE_INTEGER: return .int(sqlite3_column_int64(s, i))
            case SQLITE_FLOAT: return .double(sqlite3_column_double(s, i))
            case SQLITE_TEXT:
                let n = Int(sqlite3_column_bytes(s, i))
                guard n > 0, let p = sqlite3_column_text(s, i) else { return .text("") }
                let raw = UnsafeRawBufferPointer(start: p, count: n)
                let text = String(decoding: raw, as: UTF8.self)
                guard text.utf8.elementsEqual(raw) else {
                    throw Refused(description: "a \(table.name) row's \(table.columns[Int(i)]) is not UTF-8 text")
                }
                return .text(text)
            default:
                let n = Int(sqlite3_column_bytes(s, i))
                guard n > 0, let p = sqlite3_column_blob(s, i) else { return .bytes([]) }
                return .bytes(Array(UnsafeRawBufferPointer(start: p, count: n)))
            }
        }

        /// `{"c":{…}}` (SQLite's form) as `{…}` (PostgreSQL's); a row that is not such JSON is refused.
        private func partChecksums(_ value: Value) throws -> Value {
            guard case .text(let text) = value else {
                if value == .null { return .null }
                throw Refused(description: "a parts row's checksums is not text: \(value)")
            }
            let decoded = Array(text.utf8).withUnsafeBytes { PartChecksumsColumn.decode($0) }
            guard let decoded else { throw Refused(description: "a parts row's checksums is not checksum JSON: \(text)") }
            guard !decoded.isEmpty else { return .null }
            let encoder = JSONEncoder()
            encoder.outputFormatting = .sortedKeys
            return .text(String(decoding: try encoder.encode(decoded), as: UTF8.self))
        }
    }
}
