import Foundation
import NIOCore
import PostgresNIO
import StorageCore

/// Bulk copy into the store's tables, for `tessera migrate` (a single node's SQLite metadata moved here).
///
/// A batch of rows is one statement, so one transaction: rows whose primary key is not in the table are
/// inserted, rows whose key is there are left as they are (`ON CONFLICT DO NOTHING`), and the statement
/// reports, from the snapshot it started with, how many of the batch's keys were there and the first
/// row that was there with other values. A caller that finds one rolls nothing back by hand: it stops,
/// as `importRows` throws before the statement's transaction commits.
extension PostgresMetadataStore {
    /// A column's type, as the batch casts its parameters (NULLs included).
    package enum ImportColumnType: String, Sendable {
        case int64 = "int8", double = "float8", text = "text", bytes = "bytea"
        /// SQLite's 0/1 integers into a boolean column (PostgreSQL casts int4, not int8, to boolean).
        case bool = "int4::bool"
    }

    /// A table the copy writes: its columns (in the order the rows give them) and its primary key.
    package struct ImportTable: Sendable {
        package let name: String
        package let columns: [(name: String, type: ImportColumnType)]
        package let key: [String]
    }

    /// A value of a row, of its column's type (or NULL).
    package enum ImportValue: Sendable, Equatable {
        case null
        case int(Int64)
        case double(Double)
        case text(String)
        case bytes([UInt8])
    }

    /// The tables that hold a namespace (not `read_leases`, which is a process's; the task API's since
    /// schema version 2), in the order a copy writes them.
    package static let importTables: [ImportTable] = [
        ImportTable(name: "buckets", columns: [("name", .text), ("created", .double), ("region", .text), ("owner", .text)], key: ["name"]),
        ImportTable(name: "bucket_config", columns: [("bucket", .text), ("name", .text), ("value", .text)], key: ["bucket", "name"]),
        ImportTable(name: "objects", columns: [("bucket", .text), ("key", .bytes), ("version", .int64), ("size", .int64), ("etag", .text),
                                               ("mtime", .double), ("attrs", .text), ("parts_count", .int64), ("storage_class", .text),
                                               ("versioned", .bool)],
                    key: ["bucket", "key"]),
        ImportTable(name: "kept_versions", columns: [("bucket", .text), ("key", .bytes), ("version", .int64), ("size", .int64),
                                                     ("etag", .text), ("mtime", .double), ("attrs", .text), ("parts_count", .int64),
                                                     ("storage_class", .text), ("versioned", .bool), ("delete_marker", .bool)],
                    key: ["bucket", "key", "version"]),
        ImportTable(name: "segments", columns: [("version", .int64), ("byte_offset", .int64), ("size", .int64), ("blob", .text),
                                                ("part_number", .int64), ("checksum", .text), ("data", .bytes)],
                    key: ["version", "byte_offset"]),
        ImportTable(name: "uploads", columns: [("upload_id", .text), ("bucket", .text), ("key", .bytes), ("initiated", .double),
                                               ("attrs", .text), ("checksum_algorithm", .text), ("checksum_type", .text)],
                    key: ["upload_id"]),
        ImportTable(name: "parts", columns: [("upload_id", .text), ("part_number", .int64), ("blob", .text), ("size", .int64),
                                             ("etag", .text), ("mtime", .double), ("checksums", .text)],
                    key: ["upload_id", "part_number"]),
        ImportTable(name: "garbage", columns: [("blob", .text), ("version", .int64)], key: ["blob"]),
        ImportTable(name: "upload_tasks", columns: [("id", .text), ("record", .text)], key: ["id"]),
        ImportTable(name: "files", columns: [("id", .text), ("md5", .text), ("sha256", .text), ("expires", .double), ("record", .text)],
                    key: ["id"]),
        ImportTable(name: "upload_tickets", columns: [("id", .text), ("record", .text), ("max_bytes", .int64), ("max_files", .int64),
                                                      ("revoked", .bool), ("bytes_used", .int64), ("files_used", .int64)],
                    key: ["id"]),
    ]

    /// What one batch found and did.
    package struct ImportBatchResult: Sendable {
        /// Rows written (their key was not in the table).
        package var inserted = 0
        /// Rows whose key was in the table already, with the same values.
        package var identical = 0
        /// The index in the batch of the first row whose key was in the table with other values, if any.
        package var firstDiffering: Int?
    }

    /// Writes `rows` of `table` that are not there (`write`), or only compares (`write` false): one statement.
    /// A row whose key is there with other values is not written; with `write`, finding one throws
    /// `ImportConflict` and the statement's transaction (the batch) is rolled back.
    package func importRows(_ table: ImportTable, _ rows: [[ImportValue]], write: Bool) async throws -> ImportBatchResult {
        guard !rows.isEmpty else { return ImportBatchResult() }
        let names = table.columns.map(\.name)
        var binds = PostgresBindings(capacity: rows.count * (names.count + 1))
        var values: [String] = []
        values.reserveCapacity(rows.count)
        for (i, row) in rows.enumerated() {
            precondition(row.count == names.count, "a \(table.name) row of \(row.count) values")
            binds.append(Int64(i))
            var placeholders = ["$\(binds.count)::int8"]
            for (value, column) in zip(row, table.columns) {
                switch value {
                case .null: binds.appendNull()
                case .int(let v): binds.append(v)
                case .double(let v): binds.append(v)
                case .text(let v): binds.append(v)
                case .bytes(let v): binds.append(ByteBuffer(bytes: v))
                }
                placeholders.append("$\(binds.count)::\(column.type.rawValue)")
            }
            values.append("(" + placeholders.joined(separator: ",") + ")")
        }
        let list = names.joined(separator: ", ")
        let joined = table.key.map { "t.\($0) = v.\($0)" }.joined(separator: " AND ")
        let same = "(\(names.map { "t.\($0)" }.joined(separator: ", "))) IS NOT DISTINCT FROM (\(names.map { "v.\($0)" }.joined(separator: ", ")))"
        let insert = write ? """
            , ins AS (INSERT INTO \(table.name)(\(list)) SELECT \(list) FROM v ORDER BY i
                      ON CONFLICT (\(table.key.joined(separator: ", "))) DO NOTHING RETURNING 1)
            """ : ", ins AS (SELECT 1 WHERE false)"
        // The main query and `ins` see the same snapshot: the joins find only the rows that were there before.
        let sql = """
            WITH v(i, \(list)) AS (VALUES \(values.joined(separator: ",")))\(insert)
            SELECT (SELECT count(*) FROM ins),
                   (SELECT count(*) FROM v JOIN \(table.name) t ON \(joined) WHERE \(same)),
                   (SELECT min(v.i) FROM v JOIN \(table.name) t ON \(joined) WHERE NOT \(same))
            """
        let query = PostgresQuery(unsafeSQL: sql, binds: binds)
        return try await transaction { [self] c in
            let found = try await c.query(query, logger: logger).collect()
            guard let first = found.first else { throw CoreError.internalError("import of \(table.name): no result row") }
            let (inserted, identical, differing) = try first.decode((Int64, Int64, Int64?).self)
            let result = ImportBatchResult(inserted: Int(inserted), identical: Int(identical), firstDiffering: differing.map { Int($0) })
            if write, let differing = result.firstDiffering { throw ImportConflict(table: table.name, rowInBatch: differing) }
            return result
        }
    }

    /// A batch met a row of the same key and other values: the target holds another namespace.
    package struct ImportConflict: Error, Sendable {
        package let table: String
        package let rowInBatch: Int
    }

    /// How many rows `table` holds.
    package func importedRowCount(_ table: ImportTable) async throws -> Int {
        let rows = try await rows(PostgresQuery(unsafeSQL: "SELECT count(*) FROM \(table.name)"))
        return Int(try rows.first?.decode(Int64.self) ?? 0)
    }

    /// Moves `object_versions` past every version the tables hold (objects, segments, garbage), so that
    /// the next `nextVersion` is larger than any copied one; never moves it back. Returns the sequence's value.
    @discardableResult
    package func advanceVersionsPastStored() async throws -> Int64 {
        try await transaction { [self] c in
            let rows = try await c.query("""
                SELECT setval('object_versions', GREATEST(
                    (SELECT last_value FROM object_versions),
                    (SELECT COALESCE(max(version), 1) FROM objects),
                    (SELECT COALESCE(max(version), 1) FROM kept_versions),
                    (SELECT COALESCE(max(version), 1) FROM segments),
                    (SELECT COALESCE(max(version), 1) FROM garbage)))
                """, logger: logger).collect()
            guard let value = try rows.first?.decode(Int64.self) else { throw CoreError.internalError("setval returned no row") }
            return value
        }
    }
}
