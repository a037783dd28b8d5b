import Foundation
import Logging
import PostgresMetadata
import SQLiteMetadata
import StorageCore

/// `tessera migrate`: a single node's metadata (metadata.sqlite in its data directory) copied into a
/// PostgreSQL database, so that the data directory, whose blob files stay where they are, becomes the
/// shared one of several gateways (`tessera serve --metadata-url`).
///
/// - It holds the data directory's owner lock (`DataDirectoryLock`) from start to end: it refuses to
///   run beside a `tessera serve` on the directory, and no serve starts on it while it runs.
/// - It reads SQLite read-only, in one snapshot (`SQLiteMetadataExport`): the file is the way back.
/// - It copies the task API's tasks and files too (PostgreSQL keeps them since its schema version 2).
/// - It refuses, before writing anything, a target that holds another namespace: a row with the key of a
///   source row and other values, or a row whose key the source does not have (see `verifyTarget`).
/// - It writes each table in batches, each one statement and so one transaction, `ON CONFLICT DO
///   NOTHING`, each checking that the rows already there are the source's (`importRows`). A run that
///   was stopped anywhere (kill -9 included) left whole batches of source rows only; running it again
///   adds the rest: one run, two, or a stopped one and another all end with the same database.
/// - Last, it moves `object_versions` past every copied version.
public enum MetadataMigration {
    public struct Options: Sendable {
        public var dataDir: String
        public var metadataURL: String
        /// Rows per batch (one statement, one transaction).
        public var batchRows = 1000
        /// About this many bytes of values per batch (inline bodies), at least one row.
        public var batchBytes = 4 << 20
        /// Tests: after this many batches written, report and wait to be killed (a run stopped halfway).
        public var pauseAfterBatches: Int?

        public init(dataDir: String, metadataURL: String) {
            self.dataDir = dataDir
            self.metadataURL = metadataURL
        }
    }

    public struct TableReport: Sendable {
        public var table: String
        /// Rows in SQLite.
        public var source = 0
        /// Rows this run wrote.
        public var copied = 0
        /// Rows a previous run had written already (the same values).
        public var alreadyThere = 0
    }

    public struct Report: Sendable {
        public var tables: [TableReport] = []
        /// `object_versions` afterwards: the next version PostgreSQL hands out is larger.
        public var sequenceValue: Int64 = 0
    }

    /// Copies, reporting progress lines through `progress` (about once a second and at each table's end).
    public static func run(_ options: Options, logger: Logger, progress: @escaping @Sendable (String) -> Void) async throws -> Report {
        let location: PostgresLocation
        do { location = try PostgresLocation(url: options.metadataURL) } catch { throw ConfigError("--to: \(error)") }   // without the URL: it may hold a password
        let dataDir = options.dataDir
        let db = dataDir + "/metadata.sqlite"
        var isDir: ObjCBool = false
        guard FileManager.default.fileExists(atPath: dataDir, isDirectory: &isDir), isDir.boolValue else {
            throw ConfigError("no data directory at \(dataDir)")
        }
        guard FileManager.default.fileExists(atPath: db) else {
            throw ConfigError("\(dataDir) holds no single-node metadata (no metadata.sqlite) to migrate")
        }
        let lock: DataDirectoryLock
        do {
            lock = try DataDirectoryLock(dataDir: dataDir)
        } catch let held as DataDirectoryLock.Held {
            throw ConfigError("tessera migrate needs the data directory to itself: \(held); stop it first (nothing was copied)")
        }
        defer { withExtendedLifetime(lock) {} }

        let pool = BlockingPool(threadCount: 1)
        do {
            let report = try await copy(from: db, to: location, options, pool: pool, logger: logger, progress: progress)
            try await pool.shutdown()
            return report
        } catch {
            try? await pool.shutdown()
            throw error
        }
    }

    private static func copy(from db: String, to location: PostgresLocation, _ options: Options, pool: BlockingPool, logger: Logger,
                             progress: @escaping @Sendable (String) -> Void) async throws -> Report {
        let source = try await pool.run { try SQLiteMetadataExport(path: db) }
        let tables = try zip(SQLiteMetadataExport.tables, PostgresMetadataStore.importTables).map {
            (s, t) throws -> (SQLiteMetadataExport.Table, PostgresMetadataStore.ImportTable) in
            guard s.name == t.name, s.columns == t.columns.map(\.name) else {
                throw CoreError.internalError("migrate: SQLite's \(s.name) \(s.columns) is not PostgreSQL's \(t.name)")
            }
            return (s, t)
        }
        var report = Report()
        for (s, _) in tables {
            let n = try await pool.run { try source.rowCount(s) }
            report.tables.append(TableReport(table: s.name, source: n))
        }

        let target = try await Daemon.openPostgres(location, poolSize: 2, logger: logger)
        do {
            progress("copying \(db) into \(location)")
            let there = try await verifyTarget(source, target, tables: tables, options, pool: pool, progress: progress)
            var batches = 0
            for (index, (s, t)) in tables.enumerated() {
                if there[index] == report.tables[index].source {   // a previous run copied all of it: nothing to write
                    report.tables[index].alreadyThere = there[index]
                    progress("\(t.name): \(there[index])/\(there[index]) rows (0 copied, \(there[index]) there already)")
                    continue
                }
                let cursor = try await pool.run { try source.cursor(s) }
                var last = ContinuousClock.now
                while true {
                    let rows = try await pool.run { try cursor.next(limit: options.batchRows, maxBytes: options.batchBytes) }
                    if rows.isEmpty { break }
                    let values = try rows.map { try importRow($0, of: t) }
                    let result: PostgresMetadataStore.ImportBatchResult
                    do {
                        result = try await target.importRows(t, values, write: true)
                    } catch let c as PostgresMetadataStore.ImportConflict {
                        throw conflict(t, values[c.rowInBatch], location: location)
                    }
                    report.tables[index].copied += result.inserted
                    report.tables[index].alreadyThere += result.identical
                    guard result.inserted + result.identical == rows.count else {
                        throw CoreError.internalError("migrate: a batch of \(rows.count) \(t.name) rows: \(result.inserted) written, "
                                                      + "\(result.identical) there already; is something else writing to \(location)?")
                    }
                    batches += 1
                    let r = report.tables[index]
                    if ContinuousClock.now - last >= .seconds(1) {
                        last = .now
                        progress("\(t.name): \(r.copied + r.alreadyThere)/\(r.source) rows")
                    }
                    if let pause = options.pauseAfterBatches, batches == pause {
                        progress("paused after \(batches) batches (TESSERA_MIGRATE_PAUSE_AFTER_BATCHES)")
                        while true { try await Task.sleep(for: .seconds(3600)) }
                    }
                }
                let r = report.tables[index]
                progress("\(t.name): \(r.copied + r.alreadyThere)/\(r.source) rows (\(r.copied) copied, \(r.alreadyThere) there already)")
            }
            report.sequenceValue = try await target.advanceVersionsPastStored()
            // Nothing else wrote meanwhile: the target holds exactly the source's rows.
            for (index, (_, t)) in tables.enumerated() {
                let n = try await target.importedRowCount(t)
                guard n == report.tables[index].source else {
                    throw ConfigError("after the copy \(location) holds \(n) \(t.name) rows, not the source's \(report.tables[index].source): "
                                      + "was a gateway writing to it? Stop every gateway on it and run tessera migrate again")
                }
            }
        } catch {
            await target.close()
            throw error
        }
        await target.close()
        return report
    }

    /// Refuses a target that holds another namespace, before anything is written: every row there must be
    /// a source row, with the same values (a previous run's). Compared only when the target is not empty.
    /// Returns how many rows of each table are there already (all of them are the source's).
    private static func verifyTarget(_ source: SQLiteMetadataExport, _ target: PostgresMetadataStore,
                                     tables: [(SQLiteMetadataExport.Table, PostgresMetadataStore.ImportTable)],
                                     _ options: Options, pool: BlockingPool, progress: @escaping @Sendable (String) -> Void) async throws -> [Int] {
        var counts: [Int] = []
        for (_, t) in tables { counts.append(try await target.importedRowCount(t)) }
        guard counts.contains(where: { $0 > 0 }) else { return counts }
        progress("\(target.location) is not empty: comparing it with the source before copying (a previous run's rows are kept)")
        for (index, (s, t)) in tables.enumerated() where counts[index] > 0 {
            var identical = 0
            let cursor = try await pool.run { try source.cursor(s) }
            while true {
                let rows = try await pool.run { try cursor.next(limit: options.batchRows, maxBytes: options.batchBytes) }
                if rows.isEmpty { break }
                let values = try rows.map { try importRow($0, of: t) }
                let result = try await target.importRows(t, values, write: false)
                if let differing = result.firstDiffering { throw conflict(t, values[differing], location: target.location) }
                identical += result.identical
            }
            if counts[index] > identical {
                throw ConfigError("\(target.location) holds another namespace: \(counts[index] - identical) \(t.name) row(s) that "
                                  + "\(source.path) does not have; refusing to mix them (nothing was copied). Migrate into an empty database.")
            }
        }
        return counts
    }

    private static func conflict(_ t: PostgresMetadataStore.ImportTable, _ row: [PostgresMetadataStore.ImportValue],
                                 location: PostgresLocation) -> ConfigError {
        let key = t.key.map { name -> String in
            let i = t.columns.firstIndex { $0.name == name }!
            return "\(name) \(describe(row[i]))"
        }.joined(separator: ", ")
        return ConfigError("\(location) holds another namespace: its \(t.name) row with \(key) differs from the source's; "
                           + "refusing to mix them (nothing of this batch was written). Migrate into an empty database.")
    }

    private static func describe(_ v: PostgresMetadataStore.ImportValue) -> String {
        switch v {
        case .null: "NULL"
        case .int(let n): "\(n)"
        case .double(let d): "\(d)"
        case .text(let s): "\"\(s)\""
        case .bytes(let b): "0x" + b.map { String($0, radix: 16).count == 1 ? "0" + String($0, radix: 16) : String($0, radix: 16) }.joined()
        }
    }

    /// A SQLite row as the PostgreSQL table's values: each of its column's type (an integral REAL may
    /// come as an integer; a key stored as TEXT is its UTF-8 bytes), attributes checked to be what the
    /// stores read, task API records and tickets what their stores read; anything else is a damaged row, refused.
    static func importRow(_ row: [SQLiteMetadataExport.Value], of t: PostgresMetadataStore.ImportTable) throws -> [PostgresMetadataStore.ImportValue] {
        try zip(row, t.columns).map { value, column in
            let converted: PostgresMetadataStore.ImportValue? = switch (value, column.type) {
            case (.null, .bool): nil   // the flags are NOT NULL
            case (.null, _): .null
            case (.int(let n), .int64): .int(n)
            case (.int(let n), .bool) where n == 0 || n == 1: .int(n)   // a 0/1 flag (versioned, delete_marker)
            case (.double(let d), .double): .double(d)
            case (.int(let n), .double) where n.magnitude < 1 << 53: .double(Double(n))
            case (.text(let s), .text): .text(s)
            case (.bytes(let b), .bytes): .bytes(b)
            case (.text(let s), .bytes): .bytes(Array(s.utf8))
            default: nil
            }
            guard let converted else { throw damaged(t, column.name, "\(value) where \(column.type) belongs") }
            if column.name == "attrs", case .text(let s) = converted {
                guard (try? JSONDecoder().decode(ObjectAttributes.self, from: Data(s.utf8))) != nil else {
                    throw damaged(t, column.name, "not object attributes JSON: \(s)")
                }
            }
            if column.name == "record", case .text(let s) = converted {
                let data = Data(s.utf8)
                let decodes = switch t.name {
                case "files": (try? JSONDecoder().decode(StoredFile.self, from: data)) != nil
                case "upload_tickets": (try? JSONDecoder().decode(UploadTicket.self, from: data)) != nil
                default: (try? JSONDecoder().decode(UploadTask.self, from: data)) != nil
                }
                guard decodes else { throw damaged(t, column.name, "not a \(t.name == "upload_tickets" ? "ticket" : "task API") record: \(s)") }
            }
            return converted
        }
    }

    private static func damaged(_ t: PostgresMetadataStore.ImportTable, _ column: String, _ what: String) -> ConfigError {
        ConfigError("a damaged \(t.name) row in metadata.sqlite: \(column) is \(what); nothing of its batch was copied")
    }
}
