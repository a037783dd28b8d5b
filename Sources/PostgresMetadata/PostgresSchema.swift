/// The PostgreSQL store's schema, as numbered migrations: `migrations[i]` takes a database from version
/// i to i + 1. Applied at open, one process at a time (`pg_advisory_xact_lock`), each in the
/// transaction that records its version in `tessera_schema`. Never edit a released migration: add one.
/// A migration only adds (tables, indexes, columns that have defaults or may be NULL), so gateways still
/// running the previous release keep working beside the new schema during a rolling upgrade.
///
/// Keys are `bytea` (they compare as raw bytes, like SQLite's BLOB keys: no collation, no Unicode
/// normalization); names that are ordered or compared (`buckets.name`, `upload_id`) are `text COLLATE "C"`.
/// Times are seconds since 1970 as `double precision`, as SQLite stores them (exact round trip of `Date`).
enum PostgresSchema {
    /// An arbitrary constant: the advisory lock that serializes migrations across processes.
    static let migrationLock: Int64 = 0x7465_7373_6572_6131   // "tessera1"

    static let migrations: [[String]] = [
        // 1: everything.
        [
            "CREATE SEQUENCE object_versions AS bigint START 1",
            """
            CREATE TABLE buckets(name text COLLATE "C" PRIMARY KEY, created double precision NOT NULL, region text NOT NULL)
            """,
            """
            CREATE TABLE bucket_config(bucket text COLLATE "C" NOT NULL, name text COLLATE "C" NOT NULL, value text NOT NULL,
                PRIMARY KEY(bucket, name))
            """,
            """
            CREATE TABLE objects(bucket text COLLATE "C" NOT NULL, key bytea NOT NULL, version bigint NOT NULL UNIQUE,
                size bigint NOT NULL CHECK (size >= 0), etag text NOT NULL, mtime double precision NOT NULL, attrs text NOT NULL,
                parts_count integer, storage_class text, PRIMARY KEY(bucket, key))
            """,
            """
            CREATE TABLE segments(version bigint NOT NULL, byte_offset bigint NOT NULL, size bigint NOT NULL, blob text NOT NULL,
                part_number integer, checksum text, data bytea, PRIMARY KEY(version, byte_offset))
            """,
            "CREATE INDEX segments_by_blob ON segments(blob) WHERE blob <> ''",
            """
            CREATE TABLE uploads(upload_id text COLLATE "C" PRIMARY KEY, bucket text COLLATE "C" NOT NULL, key bytea NOT NULL,
                initiated double precision NOT NULL, attrs text NOT NULL, checksum_algorithm text, checksum_type text)
            """,
            "CREATE INDEX uploads_by_key ON uploads(bucket, key, upload_id)",
            "CREATE INDEX uploads_by_age ON uploads(initiated)",
            """
            CREATE TABLE parts(upload_id text COLLATE "C" NOT NULL, part_number integer NOT NULL, blob text NOT NULL,
                size bigint NOT NULL, etag text NOT NULL, mtime double precision NOT NULL, checksums text,
                PRIMARY KEY(upload_id, part_number))
            """,
            "CREATE INDEX parts_by_blob ON parts(blob)",
            "CREATE TABLE garbage(blob text COLLATE \"C\" PRIMARY KEY, version bigint NOT NULL)",
            """
            CREATE TABLE read_leases(holder uuid NOT NULL, version bigint NOT NULL, generation bigint NOT NULL,
                expires_at timestamptz NOT NULL, PRIMARY KEY(holder, version))
            """,
            "CREATE INDEX read_leases_by_version ON read_leases(version)",
        ],
        // 2: the task API's tasks and files (PostgresTaskStore).
        [
            "CREATE TABLE upload_tasks(id text COLLATE \"C\" PRIMARY KEY, record text NOT NULL)",
            """
            CREATE TABLE files(id text COLLATE "C" PRIMARY KEY, md5 text NOT NULL, sha256 text NOT NULL,
                expires double precision, record text NOT NULL)
            """,
            "CREATE INDEX files_by_md5 ON files(md5)",
            "CREATE INDEX files_by_sha256 ON files(sha256)",
            "CREATE INDEX files_by_expiry ON files(expires) WHERE expires IS NOT NULL",
        ],
        // 3: object versions. `objects` keeps each key's current version, now with whether it has its own
        // version ID; `kept_versions` keeps noncurrent versions and delete markers (segments stay keyed by
        // version, so a noncurrent version's blobs stay referenced).
        [
            "ALTER TABLE objects ADD COLUMN versioned boolean NOT NULL DEFAULT false",
            """
            CREATE TABLE kept_versions(bucket text COLLATE "C" NOT NULL, key bytea NOT NULL, version bigint NOT NULL UNIQUE,
                size bigint NOT NULL CHECK (size >= 0), etag text NOT NULL, mtime double precision NOT NULL, attrs text NOT NULL,
                parts_count integer, versioned boolean NOT NULL, delete_marker boolean NOT NULL, storage_class text,
                PRIMARY KEY(bucket, key, version))
            """,
        ],
        // 4: completed uploads, remembered for a day so that a retried CompleteMultipartUpload gets the same answer.
        [
            """
            CREATE TABLE completed_uploads(upload_id text COLLATE "C" PRIMARY KEY, bucket text COLLATE "C" NOT NULL,
                key bytea NOT NULL, part_list_digest text NOT NULL, etag text NOT NULL, checksums text, checksum_type text,
                completed double precision NOT NULL)
            """,
            "CREATE INDEX completed_uploads_by_age ON completed_uploads(completed)",
        ],
        // 5: bucket owners (the name of the user who created it; NULL for buckets from before, the default user's).
        ["ALTER TABLE buckets ADD COLUMN owner text"],
        // 6: upload tickets: the ticket as JSON, its limits and its use so far as columns (charged in one statement).
        [
            """
            CREATE TABLE upload_tickets(id text COLLATE "C" PRIMARY KEY, record text NOT NULL, max_bytes bigint, max_files bigint,
                revoked boolean NOT NULL DEFAULT false, bytes_used bigint NOT NULL DEFAULT 0, files_used bigint NOT NULL DEFAULT 0)
            """,
        ],
        // 7: the version ID a completion answered (NULL: none, as for rows from before), so that a retried
        // completion in a versioned bucket answers it again.
        [
            "ALTER TABLE completed_uploads ADD COLUMN version_id text",
        ],
        // 8: segments found by blob (the collector's and the sweep's "is this blob still used?") through a hash
        // index instead of a B-tree: blob names are random, and each of a 10,000-part completion's rows went
        // into a different B-tree page; only equality is ever asked of it. (Dropping an index changes no
        // query's result, so gateways of the previous release keep working beside it.)
        [
            "CREATE INDEX segments_by_blob_hash ON segments USING hash(blob) WHERE blob <> ''",
            "DROP INDEX segments_by_blob",
        ],
    ]

    /// The schema version this binary writes and reads.
    static var current: Int { migrations.count }
}
