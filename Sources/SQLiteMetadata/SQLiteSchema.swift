/// The SQLite store's schema, as numbered migrations recorded in the database's `PRAGMA user_version`:
/// `migrations[i]` takes a database from version i to i + 1, in the transaction that writes i + 1 there.
/// Applied at open; one process at a time (`BEGIN IMMEDIATE` takes SQLite's write lock, and the version
/// is read again under it). Never edit a released migration: add one.
///
/// Version 0 is a database no migration has touched: empty (a new file), or written by a binary from
/// before the schema was numbered, whose tables migration 1 brings up to date in place.
enum SQLiteSchema {
    static let migrations: [@Sendable (SQLiteConnection) throws -> Void] = [
        // 1: everything (the tables, for a new file; an old file's missing columns and its partial index).
        { c in
            try c.exec(version1Tables)
            try fullBlobIndexBecomesPartial(c)
            for (table, column, type) in version1AddedColumns {
                var present = false
                try c.query("SELECT name FROM pragma_table_info('\(table)')") { if $0.text(0) == column { present = true } }
                if !present { try c.exec("ALTER TABLE \(table) ADD COLUMN \(column) \(type)") }
            }
        },
        // 2: object versions. `objects` keeps each key's current version (the plain PUT and GET paths are
        // unchanged), now with whether it has its own version ID; `kept_versions` keeps noncurrent
        // versions and delete markers. Segments stay keyed by version, so a noncurrent version's blobs
        // stay referenced (garbage collection, the unreferenced-blob sweep and fsck see them).
        // (Written to run again over its own result: a test, or an operator, may set user_version back.)
        { c in
            var present = false
            try c.query("SELECT name FROM pragma_table_info('objects')") { if $0.text(0) == "versioned" { present = true } }
            if !present { try c.exec("ALTER TABLE objects ADD COLUMN versioned INTEGER NOT NULL DEFAULT 0") }
            try c.exec("""
                CREATE TABLE IF NOT EXISTS kept_versions(bucket TEXT NOT NULL, key BLOB NOT NULL, version INTEGER NOT NULL, size INTEGER NOT NULL,
                    etag TEXT NOT NULL, mtime REAL NOT NULL, attrs TEXT NOT NULL, parts_count INTEGER, versioned INTEGER NOT NULL,
                    delete_marker INTEGER NOT NULL, storage_class TEXT, PRIMARY KEY(bucket, key, version)) WITHOUT ROWID;
                """)
        },
        // 3: completed uploads, remembered for a day so that a retried CompleteMultipartUpload gets the same answer.
        { c in try c.exec(version3Tables) },
        // 4: bucket owners (the name of the user who created it; NULL for buckets from before, the default user's).
        { c in
            var present = false
            try c.query("SELECT name FROM pragma_table_info('buckets')") { if $0.text(0) == "owner" { present = true } }
            if !present { try c.exec("ALTER TABLE buckets ADD COLUMN owner TEXT") }
        },
        // 5: upload tickets: the ticket as JSON, its limits and its use so far as columns (charged in one statement).
        { c in
            try c.exec("""
                CREATE TABLE IF NOT EXISTS upload_tickets(id TEXT PRIMARY KEY, record TEXT NOT NULL, max_bytes INTEGER, max_files INTEGER,
                    revoked INTEGER NOT NULL DEFAULT 0, bytes_used INTEGER NOT NULL DEFAULT 0, files_used INTEGER NOT NULL DEFAULT 0);
                """)
        },
        // 6: the version ID a completion answered (NULL: none, as for rows from before), so that a retried
        // completion in a versioned bucket answers it again. (Runs again over its own result, as 2 does.)
        { c in
            var present = false
            try c.query("SELECT name FROM pragma_table_info('completed_uploads')") { if $0.text(0) == "version_id" { present = true } }
            if !present { try c.exec("ALTER TABLE completed_uploads ADD COLUMN version_id TEXT") }
        },
        // 7: part manifests: a multipart object whose segments are its upload's part rows, left in place (`PartManifest`).
        { c in
            try c.exec("""
                CREATE TABLE IF NOT EXISTS manifests(version INTEGER PRIMARY KEY, upload_id TEXT NOT NULL, checksum TEXT) WITHOUT ROWID;
                CREATE INDEX IF NOT EXISTS manifests_by_upload ON manifests(upload_id);
                """)
        },
    ]

    /// The schema version this binary writes and reads.
    static var current: Int { migrations.count }

    /// The version recorded in the database (0 for a new file).
    static func version(_ c: SQLiteConnection) throws -> Int {
        var version = 0
        try c.query("PRAGMA user_version") { version = Int($0.int(0)) }
        return version
    }

    /// Refuses a database this binary cannot read; reads only.
    static func check(_ c: SQLiteConnection, path: String) throws {
        let found = try version(c)
        guard found >= 0 else { throw SQLiteMetadataError.badSchemaVersion(path: path, found) }
        guard found <= current else { throw SQLiteMetadataError.schemaTooNew(path: path, database: found, binary: current) }
    }

    /// Brings the database to `current`, each migration with its version in one transaction.
    static func migrate(_ c: SQLiteConnection, path: String) throws {
        try check(c, path: path)
        if try version(c) == current { return }   // the usual case: no write lock taken
        while true {
            try c.exec("BEGIN IMMEDIATE")
            do {
                try check(c, path: path)   // again, under the write lock: another process may have migrated it
                let found = try version(c)
                if found == current {
                    try c.exec("COMMIT")
                    return
                }
                try migrations[found](c)
                try c.exec("PRAGMA user_version = \(found + 1)")
                try c.exec("COMMIT")
            } catch {
                try? c.exec("ROLLBACK")
                throw error
            }
        }
    }

    /// Columns added to version-0 databases after their first tables were made.
    static let version1AddedColumns: [(table: String, column: String, type: String)] = [
        ("uploads", "checksum_type", "TEXT"),   // COMPOSITE | FULL_OBJECT
        ("segments", "checksum", "TEXT"),       // the part's checksum, for GET ?partNumber on composite objects
        ("segments", "data", "BLOB"),           // a small body stored inline (then `blob` is empty)
    ]

    /// segments_by_blob once indexed inline segments too (blob ''): two more b-tree pages written by
    /// every small PUT over distinct keys, for entries no query asks for.
    private static func fullBlobIndexBecomesPartial(_ c: SQLiteConnection) throws {
        var indexSQL = ""
        try c.query("SELECT sql FROM sqlite_master WHERE type='index' AND name='segments_by_blob'") { indexSQL = $0.text(0) }
        if !indexSQL.contains("WHERE") {
            try c.exec("DROP INDEX IF EXISTS segments_by_blob; CREATE INDEX segments_by_blob ON segments(blob) WHERE blob != ''")
        }
    }

    /// Version 1's tables (IF NOT EXISTS: a version-0 database may have some or all of them).
    static let version1Tables = """
    CREATE TABLE IF NOT EXISTS buckets(name TEXT PRIMARY KEY, created REAL NOT NULL, region TEXT NOT NULL);
    CREATE TABLE IF NOT EXISTS bucket_config(bucket TEXT NOT NULL, name TEXT NOT NULL, value TEXT NOT NULL, PRIMARY KEY(bucket, name));
    CREATE TABLE IF NOT EXISTS objects(bucket TEXT NOT NULL, key BLOB NOT NULL, version INTEGER NOT NULL, size INTEGER NOT NULL,
        etag TEXT NOT NULL, mtime REAL NOT NULL, attrs TEXT NOT NULL, parts_count INTEGER, storage_class TEXT,
        PRIMARY KEY(bucket, key)) WITHOUT ROWID;
    CREATE TABLE IF NOT EXISTS segments(version INTEGER NOT NULL, offset INTEGER NOT NULL, size INTEGER NOT NULL, blob TEXT NOT NULL,
        part_number INTEGER, PRIMARY KEY(version, offset)) WITHOUT ROWID;
    CREATE INDEX IF NOT EXISTS segments_by_blob ON segments(blob) WHERE blob != '';
    CREATE TABLE IF NOT EXISTS uploads(upload_id TEXT PRIMARY KEY, bucket TEXT NOT NULL, key BLOB NOT NULL, initiated REAL NOT NULL,
        attrs TEXT NOT NULL, checksum_algorithm TEXT);
    CREATE INDEX IF NOT EXISTS uploads_by_key ON uploads(bucket, key, upload_id);
    CREATE INDEX IF NOT EXISTS uploads_by_age ON uploads(initiated);
    CREATE TABLE IF NOT EXISTS parts(upload_id TEXT NOT NULL, part_number INTEGER NOT NULL, blob TEXT NOT NULL, size INTEGER NOT NULL,
        etag TEXT NOT NULL, mtime REAL NOT NULL, checksums TEXT, PRIMARY KEY(upload_id, part_number)) WITHOUT ROWID;
    CREATE INDEX IF NOT EXISTS parts_by_blob ON parts(blob);
    CREATE TABLE IF NOT EXISTS garbage(blob TEXT PRIMARY KEY, version INTEGER NOT NULL) WITHOUT ROWID;
    CREATE TABLE IF NOT EXISTS upload_tasks(id TEXT PRIMARY KEY, record TEXT NOT NULL);
    CREATE TABLE IF NOT EXISTS files(id TEXT PRIMARY KEY, md5 TEXT NOT NULL, sha256 TEXT NOT NULL, expires REAL, record TEXT NOT NULL);
    CREATE INDEX IF NOT EXISTS files_by_md5 ON files(md5);
    CREATE INDEX IF NOT EXISTS files_by_sha256 ON files(sha256);
    CREATE INDEX IF NOT EXISTS files_by_expiry ON files(expires);
    """

    /// Version 2: what each completion answered (`CompletedUpload`), kept for `Storage.completedUploadRetention`
    /// (IF NOT EXISTS, as version 1's: a database set back to an earlier number may have them).
    static let version3Tables = """
    CREATE TABLE IF NOT EXISTS completed_uploads(upload_id TEXT PRIMARY KEY, bucket TEXT NOT NULL, key BLOB NOT NULL,
        part_list_digest TEXT NOT NULL, etag TEXT NOT NULL, checksums TEXT, checksum_type TEXT, completed REAL NOT NULL) WITHOUT ROWID;
    CREATE INDEX IF NOT EXISTS completed_uploads_by_age ON completed_uploads(completed);
    """
}
