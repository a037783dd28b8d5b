import Foundation
import Logging
import NIOCore
import NIOSSL
import PostgresNIO
import StorageCore
import WireFormats

/// The shared MetadataStore: one PostgreSQL database that several gateway processes use at once.
/// Selected by `tessera serve --metadata-url` (the daemon runs the SQLite store otherwise).
///
/// Same semantics as `SQLiteMetadataStore`, call by call (that store is the reference): keys are
/// `bytea` and compare, list and page as raw bytes; every mutating call is one transaction on one pooled
/// connection (`PostgresClient`), with the blobs it frees recorded as garbage in it; `completeUpload`
/// runs `assemble` inside its transaction, between loading the parts and writing the object.
///
/// Across processes:
/// - Rows that two calls may change at once are locked in the transaction: a completion or abort takes
///   its upload row `FOR UPDATE` (the loser of two finds it gone: NoSuchUpload), a part write takes it
///   `FOR SHARE` (so it lands before, or fails after, a completion); writes into a bucket take its row
///   `FOR KEY SHARE` and a bucket delete `FOR UPDATE`; an object or part that exists is replaced under
///   its row lock, one that does not is inserted `ON CONFLICT DO NOTHING` and retried as a replacement
///   when another process inserted it first. Deadlocks are retried, the whole transaction.
/// - Version numbers come from the sequence `object_versions`: unique among all processes, and
///   increasing within each.
/// - Read leases are rows of `read_leases` (see `PostgresReadLeases`): a version leased by any process
///   is skipped by every process's collector; a lease's row expires `leaseTTL` after its process last
///   refreshed it, so a crashed gateway's leases lapse.
/// - The schema is versioned (`tessera_schema`); `open` migrates it under an advisory lock and refuses a
///   database that a newer binary migrated.
///
/// Rows are decoded strictly: a NULL where a value belongs, a negative size, or attributes or checksums
/// that are not the JSON this store writes throw (InternalError), never read as empty.
public final class PostgresMetadataStore: MetadataStore, @unchecked Sendable {
    public let location: PostgresLocation
    private let client: BoundedPostgresClient
    let logger: Logger
    private let leases: PostgresReadLeases
    public var readLeases: any ReadLeases { leases }

    /// The bound on each call when none is given (`tessera serve --metadata-timeout`).
    public static let defaultTimeout: Duration = .seconds(5)

    /// Opens the database at `url` (see `PostgresLocation`), migrating its schema first.
    public static func open(url: String, poolSize: Int = 8, timeout: Duration = defaultTimeout, leaseTTL: Duration = .seconds(30),
                            logger: Logger = Logger(label: "tessera.postgres")) async throws -> PostgresMetadataStore {
        try await open(location: PostgresLocation(url: url), poolSize: poolSize, timeout: timeout, leaseTTL: leaseTTL, logger: logger)
    }

    /// Opens the database, migrating its schema first on a connection of its own (so a wrong address or
    /// password fails here, with the server's error); then serves from a pool of up to `poolSize` connections.
    /// Every call afterwards answers within `timeout`, including its wait for a pooled connection, or throws
    /// `CoreError.metadataUnavailable` (see `BoundedPostgresClient`).
    public static func open(location: PostgresLocation, poolSize: Int = 8, timeout: Duration = defaultTimeout,
                            leaseTTL: Duration = .seconds(30),
                            logger: Logger = Logger(label: "tessera.postgres")) async throws -> PostgresMetadataStore {
        precondition(poolSize >= 1, "poolSize must be at least 1")
        let tls = try tlsConfiguration(location.sslMode)
        let connect: @Sendable () async throws -> PostgresConnection = {
            try await PostgresConnection.connect(
                configuration: .init(host: location.host, port: location.port, username: location.username,
                                     password: location.password, database: location.database, tls: tls),
                id: 0, logger: logger)
        }
        let connection = try await connect()
        do {
            try await migrate(connection, logger: logger)
            try await connection.close()
        } catch {
            try? await connection.close()
            throw error
        }
        var config = PostgresClient.Configuration(host: location.host, port: location.port, username: location.username,
                                                  password: location.password, database: location.database, tls: clientTLS(location.sslMode))
        config.options.maximumConnections = poolSize
        config.options.minimumConnections = 0
        let client = await BoundedPostgresClient.start(configuration: config, timeout: timeout, probe: connect, logger: logger)
        return PostgresMetadataStore(location: location, client: client, leaseTTL: leaseTTL, logger: logger)
    }

    private init(location: PostgresLocation, client: BoundedPostgresClient, leaseTTL: Duration, logger: Logger) {
        self.location = location
        self.client = client
        self.logger = logger
        leases = PostgresReadLeases(client: client, logger: logger, ttl: leaseTTL)
        leases.startRefreshing()
    }

    /// Drops this process's read leases and closes the pool. The store is unusable afterwards.
    public func close() async {
        await leases.stop()
        client.close()
    }

    deinit { client.close() }

    /// Tests: this process stops refreshing its leases and leaves their rows, as a crashed process would.
    func stopRefreshingForTests() async { leases.stopRefreshing() }

    private static func tlsConfiguration(_ mode: PostgresLocation.SSLMode) throws -> PostgresConnection.Configuration.TLS {
        switch mode {
        case .disable: return .disable
        case .prefer: return .prefer(try NIOSSLContext(configuration: .makeClientConfiguration()))
        case .require: return .require(try NIOSSLContext(configuration: .makeClientConfiguration()))
        }
    }

    private static func clientTLS(_ mode: PostgresLocation.SSLMode) -> PostgresClient.Configuration.TLS {
        switch mode {
        case .disable: return .disable
        case .prefer: return .prefer(.makeClientConfiguration())
        case .require: return .require(.makeClientConfiguration())
        }
    }

    // MARK: schema

    /// Brings the schema to `PostgresSchema.current`, one process at a time.
    static func migrate(_ c: PostgresConnection, logger: Logger) async throws {
        try await c.query("BEGIN", logger: logger)
        do {
            try await c.query("SELECT pg_advisory_xact_lock(\(PostgresSchema.migrationLock))", logger: logger)
            try await c.query("CREATE TABLE IF NOT EXISTS tessera_schema(version integer NOT NULL)", logger: logger)
            let rows = try await c.query("SELECT version FROM tessera_schema", logger: logger).collect()
            guard rows.count <= 1 else {
                throw PostgresMetadataError.badSchemaVersion("tessera_schema has \(rows.count) rows, not one")
            }
            let version = try rows.first.map { try $0.decode(Int.self) } ?? 0
            guard version >= 0 else { throw PostgresMetadataError.badSchemaVersion("version \(version)") }
            guard version <= PostgresSchema.current else {
                throw PostgresMetadataError.schemaTooNew(database: version, binary: PostgresSchema.current)
            }
            for v in version..<PostgresSchema.current {
                for statement in PostgresSchema.migrations[v] {
                    try await c.query(PostgresQuery(unsafeSQL: statement), logger: logger)
                }
                try await c.query("DELETE FROM tessera_schema", logger: logger)
                try await c.query("INSERT INTO tessera_schema(version) VALUES(\(v + 1))", logger: logger)
                logger.info("PostgreSQL metadata schema migrated", metadata: ["version": "\(v + 1)"])
            }
            try await c.query("COMMIT", logger: logger)
        } catch {
            _ = try? await c.query("ROLLBACK", logger: logger)
            throw error
        }
    }

    /// The schema version recorded in the database (for tests and diagnostics).
    public func schemaVersion() async throws -> Int {
        let rows = try await rows("SELECT version FROM tessera_schema")
        guard rows.count == 1 else { throw PostgresMetadataError.badSchemaVersion("tessera_schema has \(rows.count) rows") }
        return try rows[0].decode(Int.self)
    }

    // MARK: connection handling

    /// Runs `body` in a transaction on one pooled connection: committed when it returns, rolled back when
    /// it throws (its error is rethrown as it is). A deadlock or serialization failure runs it again. Bounded
    /// in time; an unreachable database throws `CoreError.metadataUnavailable` (see `BoundedPostgresClient`).
    @discardableResult
    func transaction<T: Sendable>(_ body: @escaping @Sendable (PostgresConnection) async throws -> T) async throws -> T {
        try await client.transaction(body)
    }

    /// All rows of a read (one statement: one snapshot), bounded in time like a transaction.
    func rows(_ q: PostgresQuery) async throws -> [PostgresRow] {
        try await client.rows(q)
    }

    /// One page of a bucket's keys in `table` (objects or uploads): `columns` of the rows within `prefix`
    /// from `start`, in `order`, at most `limit`. Table, columns and order are this file's constants.
    private func page(_ columns: String, of table: String, orderedBy order: String, bucket: String, prefix: [UInt8],
                      start: ScanStart?, limit: Int) async throws -> [PostgresRow] {
        var binds = PostgresBindings()
        binds.append(bucket)
        let range = keyRange(prefix: prefix, start: start, binds: &binds)
        binds.append(limit)
        let sql = "SELECT \(columns) FROM \(table) WHERE bucket = $1\(range) ORDER BY \(order) LIMIT $\(binds.count)"
        return try await rows(PostgresQuery(unsafeSQL: sql, binds: binds))
    }

    // MARK: columns

    static func bytes(_ s: String) -> ByteBuffer { ByteBuffer(bytes: s.utf8) }
    static func bytes(_ b: [UInt8]) -> ByteBuffer { ByteBuffer(bytes: b) }
    static func string(_ b: ByteBuffer) -> String { String(decoding: b.readableBytesView, as: UTF8.self) }

    static func corrupt(_ what: String) -> CoreError { .internalError("corrupt metadata row: \(what)") }

    static func encodeAttributes(_ a: ObjectAttributes) throws -> String {
        let e = JSONEncoder()
        e.outputFormatting = .sortedKeys
        return String(decoding: try e.encode(a), as: UTF8.self)
    }

    static func decodeAttributes(_ text: String, _ row: @autoclosure () -> String) throws -> ObjectAttributes {
        do { return try JSONDecoder().decode(ObjectAttributes.self, from: Data(text.utf8)) } catch {
            throw corrupt("\(row()): attrs is not ObjectAttributes JSON")
        }
    }

    /// Checksums as a JSON object of strings (`StringMapJSON`: sorted names, as JSONEncoder wrote them).
    static func encodeChecksums(_ c: [String: String]) throws -> String? {
        guard !c.isEmpty else { return nil }
        var out: [UInt8] = []
        StringMapJSON.append(c, to: &out)
        return String(decoding: out, as: UTF8.self)
    }

    /// Read by hand (`StringMapJSON`: a JSONDecoder per part was most of a 10,000-part completion's
    /// decoding); any other valid JSON object of strings through JSONDecoder; anything else is refused.
    static func decodeChecksums(_ text: String?, _ row: @autoclosure () -> String) throws -> [String: String] {
        guard var text else { return [:] }
        if let fast = text.withUTF8({ StringMapJSON.decode(UnsafeRawBufferPointer($0)) }) { return fast }
        do { return try JSONDecoder().decode([String: String].self, from: Data(text.utf8)) } catch {
            throw corrupt("\(row()): checksums is not a JSON object of strings")
        }
    }

    static func nonNegative(_ n: Int64, _ what: @autoclosure () -> String) throws -> Int64 {
        guard n >= 0 else { throw corrupt("\(what()) is negative (\(n))") }
        return n
    }

    static func date(_ seconds: Double) -> Date { Date(timeIntervalSince1970: seconds) }

    // MARK: buckets

    public func createBucket(_ bucket: BucketRecord) async throws -> Bool {
        try await transaction { [self] c in
            let rows = try await c.query("""
                INSERT INTO buckets(name, created, region, owner)
                VALUES(\(bucket.name), \(bucket.created.timeIntervalSince1970), \(bucket.region), \(bucket.ownerName))
                ON CONFLICT (name) DO NOTHING RETURNING 1
                """, logger: logger).collect()
            return !rows.isEmpty
        }
    }

    private func bucketRecord(_ row: PostgresRow) throws -> BucketRecord {
        let (name, created, region, owner) = try row.decode((String, Double, String, String?).self)
        if let owner, !User.isValidName(owner) { throw Self.corrupt("buckets \(name): owner \(owner) is not a user name") }
        return BucketRecord(name: name, created: Self.date(created), region: region, ownerName: owner)
    }

    public func bucket(named name: String) async throws -> BucketRecord? {
        try await rows("SELECT name, created, region, owner FROM buckets WHERE name = \(name)").first.map(bucketRecord)
    }

    public func listBuckets() async throws -> [BucketRecord] {
        try await rows("SELECT name, created, region, owner FROM buckets ORDER BY name").map(bucketRecord)
    }

    public func deleteBucket(named name: String) async throws {
        try await transaction { [self] c in
            // FOR UPDATE waits for writers into the bucket (they hold FOR KEY SHARE), then sees what they wrote.
            guard try await !c.query("SELECT 1 FROM buckets WHERE name = \(name) FOR UPDATE", logger: logger).collect().isEmpty else {
                throw CoreError.noSuchBucket(name)
            }
            let busy = try await c.query("""
                SELECT EXISTS(SELECT 1 FROM objects WHERE bucket = \(name)) OR EXISTS(SELECT 1 FROM uploads WHERE bucket = \(name))
                    OR EXISTS(SELECT 1 FROM kept_versions WHERE bucket = \(name))
                """, logger: logger).collect()
            if try busy.first?.decode(Bool.self) == true {
                throw CoreError("BucketNotEmpty", "The bucket you tried to delete is not empty", details: [.init("BucketName", name)])
            }
            try await c.query("DELETE FROM bucket_config WHERE bucket = \(name)", logger: logger)
            try await c.query("DELETE FROM completed_uploads WHERE bucket = \(name)", logger: logger)
            try await c.query("DELETE FROM buckets WHERE name = \(name)", logger: logger)
        }
    }

    public func bucketConfig(bucket: String, name: String) async throws -> String? {
        try await rows("SELECT value FROM bucket_config WHERE bucket = \(bucket) AND name = \(name)").first?.decode(String.self)
    }

    public func bucketSettings(named name: String, configs: [String]) async throws -> BucketSettings? {
        // One statement: the bucket's row, and beside it each asked-for document it has (NULLs without any).
        let rows = try await rows("""
            SELECT b.name, b.created, b.region, b.owner, c.name, c.value
            FROM buckets b LEFT JOIN bucket_config c ON c.bucket = b.name AND c.name = ANY(\(configs))
            WHERE b.name = \(name)
            """)
        guard let first = rows.first else { return nil }
        let (bucket, created, region, owner, _, _) = try first.decode((String, Double, String, String?, String?, String?).self)
        if let owner, !User.isValidName(owner) { throw Self.corrupt("buckets \(bucket): owner \(owner) is not a user name") }
        var found: [String: String] = [:]
        for row in rows {
            let (_, _, _, _, config, value) = try row.decode((String, Double, String, String?, String?, String?).self)
            if let config, let value { found[config] = value }
        }
        return BucketSettings(record: BucketRecord(name: bucket, created: Self.date(created), region: region, ownerName: owner), configs: found)
    }

    public func setBucketConfig(bucket: String, name: String, value: String?) async throws {
        try await transaction { [self] c in
            if let value {
                try await c.query("""
                    INSERT INTO bucket_config(bucket, name, value) VALUES(\(bucket), \(name), \(value))
                    ON CONFLICT (bucket, name) DO UPDATE SET value = EXCLUDED.value
                    """, logger: logger)
            } else {
                try await c.query("DELETE FROM bucket_config WHERE bucket = \(bucket) AND name = \(name)", logger: logger)
            }
        }
    }

    // MARK: versions

    public func nextVersion() async throws -> Int64 {
        guard let row = try await rows("SELECT nextval('object_versions')").first else {
            throw CoreError.internalError("nextval returned no row")
        }
        return try row.decode(Int64.self)
    }

    // MARK: objects

    private static let objectColumns = "bucket, key, version, size, etag, mtime, attrs, parts_count, versioned"

    /// An object from the first nine columns of `row` (`objectColumns`).
    private func objectRecord(_ row: PostgresRow) throws -> ObjectRecord {
        let (bucket, keyBytes, version, size, etag, mtime, attrs, partsCount, versioned) =
            try row.decode((String, ByteBuffer, Int64, Int64, String, Double, String, Int?, Bool).self)
        let key = Self.string(keyBytes)
        return ObjectRecord(bucket: bucket, key: key, version: version, size: try Self.nonNegative(size, "objects \(bucket)/\(key): size"),
                            etag: etag, lastModified: Self.date(mtime),
                            attributes: try Self.decodeAttributes(attrs, "objects \(bucket)/\(key)"), partsCount: partsCount,
                            versioned: versioned)
    }

    /// A version or delete marker from `versionColumns` (ten columns: `objectColumns`, then delete_marker).
    private func versionRecord(_ row: PostgresRow) throws -> ObjectRecord {
        let (bucket, keyBytes, version, size, etag, mtime, attrs, partsCount, versioned, marker) =
            try row.decode((String, ByteBuffer, Int64, Int64, String, Double, String, Int?, Bool, Bool).self)
        let key = Self.string(keyBytes)
        return ObjectRecord(bucket: bucket, key: key, version: version, size: try Self.nonNegative(size, "kept_versions \(bucket)/\(key): size"),
                            etag: etag, lastModified: Self.date(mtime),
                            attributes: try Self.decodeAttributes(attrs, "kept_versions \(bucket)/\(key)"), partsCount: partsCount,
                            versioned: versioned, isDeleteMarker: marker)
    }

    private static let versionColumns = "bucket, key, version, size, etag, mtime, attrs, parts_count, versioned, delete_marker"

    private static let segmentColumns = "blob, size, byte_offset, part_number, checksum, data"

    private static func segment(blob: String, size: Int64, offset: Int64, partNumber: Int?, checksum: String?, data: ByteBuffer?,
                                version: Int64) throws -> Segment {
        let what = { "segments version \(version) offset \(offset)" }   // only for an error: 10,000 rows in a large object
        let size = try nonNegative(size, "\(what()): size")
        let offset = try nonNegative(offset, "\(what()): offset")
        let inline = data.map { Array($0.readableBytesView) }
        if let inline, Int64(inline.count) != size { throw corrupt("\(what()): \(inline.count) inline bytes for size \(size)") }
        if inline == nil && blob.isEmpty { throw corrupt("\(what()): neither a blob nor inline data") }
        return Segment(blob: blob, size: size, offset: offset, partNumber: partNumber, checksum: checksum, inline: inline)
    }

    public func object(bucket: String, key: String) async throws -> ObjectRecord? {
        try await rows("""
            SELECT \(unescaped: Self.objectColumns) FROM objects WHERE bucket = \(bucket) AND key = \(Self.bytes(key))
            """).first.map(objectRecord)
    }

    public func segments(version: Int64) async throws -> [Segment] {
        try await rows("SELECT \(unescaped: Self.segmentColumns) FROM segments WHERE version = \(version) ORDER BY byte_offset").map { row in
            let (blob, size, offset, partNumber, checksum, data) = try row.decode((String, Int64, Int64, Int?, String?, ByteBuffer?).self)
            return try Self.segment(blob: blob, size: size, offset: offset, partNumber: partNumber, checksum: checksum, data: data,
                                    version: version)
        }
    }

    /// One statement, so one snapshot.
    public func objectWithSegments(bucket: String, key: String) async throws -> (ObjectRecord, [Segment])? {
        let rows = try await rows("""
            SELECT o.bucket, o.key, o.version, o.size, o.etag, o.mtime, o.attrs, o.parts_count, o.versioned,
                   s.blob, s.size, s.byte_offset, s.part_number, s.checksum, s.data
            FROM objects o LEFT JOIN segments s ON s.version = o.version
            WHERE o.bucket = \(bucket) AND o.key = \(Self.bytes(key)) ORDER BY s.byte_offset
            """)
        guard let first = rows.first else { return nil }
        let object = try objectRecord(first)
        var segments: [Segment] = []
        for row in rows {
            let (_, _, _, _, _, _, _, _, _, blob, size, offset, partNumber, checksum, data) = try row.decode(
                (String, ByteBuffer, Int64, Int64, String, Double, String, Int?, Bool, String?, Int64?, Int64?, Int?, String?, ByteBuffer?).self)
            guard let blob else { continue }   // no segments (LEFT JOIN)
            guard let size, let offset else { throw Self.corrupt("segments version \(object.version): NULL size or offset") }
            segments.append(try Self.segment(blob: blob, size: size, offset: offset, partNumber: partNumber, checksum: checksum,
                                              data: data, version: object.version))
        }
        return (object, segments)
    }

    public func isCurrent(bucket: String, key: String, version: Int64) async throws -> Bool {
        let current = try await rows("SELECT version FROM objects WHERE bucket = \(bucket) AND key = \(Self.bytes(key))")
            .first?.decode(Int64.self)
        return current == version
    }

    /// In a transaction: `version`'s segments go; its blob files become garbage (inline bodies go with
    /// their rows). true when some did.
    func retireSegments(_ c: PostgresConnection, version: Int64) async throws -> Bool {
        let freed = try await c.query("""
            INSERT INTO garbage(blob, version) SELECT blob, version FROM segments WHERE version = \(version) AND data IS NULL
            ON CONFLICT (blob) DO NOTHING RETURNING 1
            """, logger: logger).collect()
        try await c.query("DELETE FROM segments WHERE version = \(version)", logger: logger)
        return !freed.isEmpty
    }

    /// In a transaction: makes `o` the current version of its key, as the bucket's versioning state says
    /// (see `MetadataStore.putObject`).
    private func insertObject(_ c: PostgresConnection, _ o: ObjectRecord, _ segments: [Segment],
                              condition: WriteCondition? = nil) async throws -> StoredObject {
        let versioning = try await bucketVersioning(c, bucket: o.bucket)
        var o = o
        o.versioned = versioning == .enabled
        o.isDeleteMarker = false
        if let condition {
            // The current row, locked until commit (no other write can change or delete it meanwhile); when
            // there is none, If-None-Match's insert must not meet one (`replaceCurrent`'s mustInsert).
            if versioning != .unversioned { try await lockKey(c, bucket: o.bucket, key: o.key) }
            let current = try await c.query("""
                SELECT etag FROM objects WHERE bucket = \(o.bucket) AND key = \(Self.bytes(o.key)) FOR UPDATE
                """, logger: logger).collect()
            try condition.checkAtCommit(currentETag: try current.first?.decode(String.self))
        }
        if versioning == .unversioned {
            return StoredObject(record: o, releasedBlobs: try await replaceCurrent(c, o, segments, mustInsert: condition?.ifNoneMatch == true))
        }
        if condition == nil { try await lockKey(c, bucket: o.bucket, key: o.key) }
        let released = try await makeRoom(c, bucket: o.bucket, key: o.key, versioning: versioning)
        try await c.query("""
            INSERT INTO objects(\(unescaped: Self.objectColumns), storage_class)
            VALUES(\(o.bucket), \(Self.bytes(o.key)), \(o.version), \(o.size), \(o.etag), \(o.lastModified.timeIntervalSince1970),
                   \(try Self.encodeAttributes(o.attributes)), \(o.partsCount), \(o.versioned), \(o.attributes.storageClass))
            """, logger: logger)
        try await insertSegments(c, version: o.version, segments)
        return StoredObject(record: o, releasedBlobs: released)
    }

    /// In a transaction, in an unversioned bucket: makes `o` the current version of its key. true when the
    /// replaced version's blob files became garbage.
    /// `mustInsert`: the key had no current object when the condition was checked; one inserted since by
    /// another process is a lost race (409 ConditionalRequestConflict), not a replacement.
    private func replaceCurrent(_ c: PostgresConnection, _ o: ObjectRecord, _ segments: [Segment], mustInsert: Bool = false) async throws -> Bool {
        let key = Self.bytes(o.key)
        let attrs = try Self.encodeAttributes(o.attributes)
        let mtime = o.lastModified.timeIntervalSince1970
        var released = false
        while true {
            let inserted = try await c.query("""
                INSERT INTO objects(\(unescaped: Self.objectColumns), storage_class)
                VALUES(\(o.bucket), \(key), \(o.version), \(o.size), \(o.etag), \(mtime), \(attrs), \(o.partsCount), false,
                       \(o.attributes.storageClass))
                ON CONFLICT (bucket, key) DO NOTHING RETURNING 1
                """, logger: logger).collect()
            if !inserted.isEmpty { break }
            if mustInsert { try WriteCondition(ifNoneMatch: true).checkAtCommit(currentETag: "") }
            // The key has a current version (perhaps just committed by another process): replace it under its row lock.
            let old = try await c.query("SELECT version FROM objects WHERE bucket = \(o.bucket) AND key = \(key) FOR UPDATE",
                                        logger: logger).collect()
            guard let oldVersion = try old.first?.decode(Int64.self) else { continue }   // deleted meanwhile: insert again
            released = try await retireSegments(c, version: oldVersion)
            try await c.query("""
                UPDATE objects SET version = \(o.version), size = \(o.size), etag = \(o.etag), mtime = \(mtime), attrs = \(attrs),
                    parts_count = \(o.partsCount), storage_class = \(o.attributes.storageClass)
                WHERE bucket = \(o.bucket) AND key = \(key)
                """, logger: logger)
            break
        }
        try await insertSegments(c, version: o.version, segments)
        return released
    }

    /// The segments of one version: segments that are all blobs (a multipart object's, up to 10,000) with
    /// one `COPY ... FROM STDIN` (PostgreSQL inserts its rows in batches: a third less time than one INSERT
    /// of as many rows); others (an inline body) as multi-row INSERTs of up to 1,000 segments each.
    private func insertSegments(_ c: PostgresConnection, version: Int64, _ segments: [Segment]) async throws {
        if segments.count > 1, segments.allSatisfy({ $0.inline == nil && !$0.blob.isEmpty && ($0.partNumber ?? 1) > 0 }) {
            try await c.copyFrom(table: "segments", columns: ["version", "byte_offset", "size", "blob", "part_number", "checksum"],
                                 logger: logger) { writer in
                var rows = SegmentCopyRows(version: version)
                for segment in segments {
                    rows.append(segment)
                    if rows.buffer.readableBytes >= 256 * 1024 { try await writer.write(rows.take()) }
                }
                if rows.buffer.readableBytes > 0 { try await writer.write(rows.take()) }
            }
            return
        }
        var start = 0
        while start < segments.count {
            let chunk = segments[start..<min(start + 1000, segments.count)]
            var sql = "INSERT INTO segments(version, byte_offset, size, blob, part_number, checksum, data) VALUES"
            var binds = PostgresBindings(capacity: chunk.count * 7)
            for (i, s) in chunk.enumerated() {
                let n = i * 7
                sql += i == 0 ? "" : ","
                sql += "($\(n + 1),$\(n + 2),$\(n + 3),$\(n + 4),$\(n + 5),$\(n + 6),$\(n + 7))"
                binds.append(version)
                binds.append(s.offset)
                binds.append(s.size)
                binds.append(s.blob)
                binds.append(s.partNumber)
                binds.append(s.checksum)
                binds.append(s.inline.map { ByteBuffer(bytes: $0) })
            }
            try await c.query(PostgresQuery(unsafeSQL: sql, binds: binds), logger: logger)
            start += chunk.count
        }
    }

    public func putObject(_ object: ObjectRecord, segments: [Segment], condition: WriteCondition?) async throws -> StoredObject {
        try await transaction { [self] c in try await insertObject(c, object, segments, condition: condition) }
    }

    // MARK: object versions

    /// In a transaction: the bucket's versioning state, the bucket's row taken FOR KEY SHARE (as every write
    /// into a bucket takes it); throws NoSuchBucket.
    private func bucketVersioning(_ c: PostgresConnection, bucket: String) async throws -> BucketVersioning {
        let rows = try await c.query("""
            SELECT cfg.value FROM buckets b LEFT JOIN bucket_config cfg ON cfg.bucket = b.name AND cfg.name = \(BucketVersioning.configName)
            WHERE b.name = \(bucket) FOR KEY SHARE OF b
            """, logger: logger).collect()
        guard let row = rows.first else { throw CoreError.noSuchBucket(bucket) }
        return try BucketVersioning(stored: try row.decode(String?.self))
    }

    /// The advisory-lock class of a key's versions (the other half is a hash of bucket and key).
    private static let keyLockClass: Int32 = 0x7665_7273   // "vers"

    /// In a transaction: serializes the versioned writes of one key across processes, until commit. (A key
    /// may have no row to lock: its latest version is a delete marker, or it has none yet.)
    private func lockKey(_ c: PostgresConnection, bucket: String, key: String) async throws {
        var hash: UInt32 = 2_166_136_261   // FNV-1a over bucket, a zero byte, key
        for byte in Array(bucket.utf8) + [0] + Array(key.utf8) { hash = (hash ^ UInt32(byte)) &* 16_777_619 }
        _ = try await c.query("SELECT pg_advisory_xact_lock(\(Self.keyLockClass), \(Int32(bitPattern: hash)))", logger: logger).collect()
    }

    /// In a transaction: the key's current version, if any, becomes a noncurrent one.
    private func demoteCurrent(_ c: PostgresConnection, bucket: String, key: String) async throws {
        try await c.query("""
            WITH moved AS (DELETE FROM objects WHERE bucket = \(bucket) AND key = \(Self.bytes(key)) RETURNING *)
            INSERT INTO kept_versions(\(unescaped: Self.versionColumns), storage_class)
            SELECT \(unescaped: Self.objectColumns), false, storage_class FROM moved
            """, logger: logger)
    }

    /// In a transaction, the key locked: makes room for a new latest version (see `MetadataStore.putObject`).
    /// true when blob files became garbage.
    private func makeRoom(_ c: PostgresConnection, bucket: String, key: String, versioning: BucketVersioning) async throws -> Bool {
        let k = Self.bytes(key)
        switch versioning {
        case .enabled:
            try await demoteCurrent(c, bucket: bucket, key: key)
            return false
        case .unversioned, .suspended:
            var released = false
            let current = try await c.query("""
                DELETE FROM objects WHERE bucket = \(bucket) AND key = \(k) AND NOT versioned RETURNING version
                """, logger: logger).collect()
            for row in current {
                if try await retireSegments(c, version: try row.decode(Int64.self)) { released = true }
            }
            guard versioning == .suspended else { return released }
            try await demoteCurrent(c, bucket: bucket, key: key)
            let old = try await c.query("""
                DELETE FROM kept_versions WHERE bucket = \(bucket) AND key = \(k) AND NOT versioned RETURNING version
                """, logger: logger).collect()
            for row in old {
                if try await retireSegments(c, version: try row.decode(Int64.self)) { released = true }
            }
            return released
        }
    }

    /// In a transaction, the key locked: when the key has no current object, its newest noncurrent version
    /// becomes current, unless that is a delete marker (which then stays the latest).
    private func promoteLatest(_ c: PostgresConnection, bucket: String, key: String) async throws {
        let k = Self.bytes(key)
        try await c.query("""
            WITH newest AS (SELECT version, delete_marker FROM kept_versions WHERE bucket = \(bucket) AND key = \(k)
                            AND NOT EXISTS (SELECT 1 FROM objects WHERE bucket = \(bucket) AND key = \(k))
                            ORDER BY version DESC LIMIT 1),
                 moved AS (DELETE FROM kept_versions WHERE bucket = \(bucket) AND key = \(k)
                           AND version = (SELECT version FROM newest WHERE NOT delete_marker) RETURNING *)
            INSERT INTO objects(\(unescaped: Self.objectColumns), storage_class)
            SELECT \(unescaped: Self.objectColumns), storage_class FROM moved
            """, logger: logger)
    }

    /// SQL condition selecting `version` in a table with `version` and `versioned` columns.
    private static func selecting(_ version: VersionSelector) -> String {
        switch version {
        case .null: return "NOT versioned"
        case .version(let n): return "versioned AND version = \(n)"   // an Int64: no quoting needed
        }
    }

    /// The version and delete marker rows of the key that `condition` selects (objects' first), as one statement.
    private func versionRows(bucket: String, key: String, condition: String,
                             in c: PostgresConnection? = nil) async throws -> [PostgresRow] {
        var binds = PostgresBindings()
        binds.append(bucket)
        binds.append(Self.bytes(key))
        let query = PostgresQuery(unsafeSQL: """
            SELECT \(Self.versionColumns) FROM (
                SELECT \(Self.objectColumns), false AS delete_marker, 0 AS rank FROM objects WHERE bucket = $1 AND key = $2 AND \(condition)
                UNION ALL
                SELECT \(Self.versionColumns), 1 AS rank FROM kept_versions WHERE bucket = $1 AND key = $2 AND \(condition)
            ) v ORDER BY rank, version DESC LIMIT 1
            """, binds: binds)
        if let c { return try await c.query(query, logger: logger).collect() }
        return try await rows(query)
    }

    public func deleteObject(bucket: String, key: String) async throws -> ObjectDeletion {
        try await transaction { [self] c in
            let versioning = try await bucketVersioning(c, bucket: bucket)
            if versioning != .unversioned { try await lockKey(c, bucket: bucket, key: key) }
            return try await deleteLatest(c, bucket: bucket, key: key, versioning: versioning)
        }
    }

    /// In a transaction, the key locked when the bucket is versioned: DeleteObject without a version ID.
    private func deleteLatest(_ c: PostgresConnection, bucket: String, key: String, versioning: BucketVersioning) async throws -> ObjectDeletion {
        let released = try await makeRoom(c, bucket: bucket, key: key, versioning: versioning)
        guard versioning != .unversioned else { return ObjectDeletion(version: nil, releasedBlobs: released) }
        guard let row = try await c.query("SELECT nextval('object_versions')", logger: logger).collect().first else {
            throw CoreError.internalError("nextval returned no row")
        }
        let marker = ObjectRecord(bucket: bucket, key: key, version: try row.decode(Int64.self), size: 0, etag: "", lastModified: Date(),
                                  attributes: ObjectAttributes(), partsCount: nil, versioned: versioning == .enabled, isDeleteMarker: true)
        try await c.query("""
            INSERT INTO kept_versions(\(unescaped: Self.versionColumns))
            VALUES(\(bucket), \(Self.bytes(key)), \(marker.version), 0, '', \(marker.lastModified.timeIntervalSince1970),
                   \(try Self.encodeAttributes(marker.attributes)), NULL, \(marker.versioned), true)
            """, logger: logger)
        return ObjectDeletion(version: marker, releasedBlobs: released)
    }

    public func expire(bucket: String, key: String, version: Int64, action: ExpiryAction,
                       check: @escaping @Sendable (ObjectRecord) throws -> Void) async throws -> ObjectDeletion {
        try await transaction { [self] c in
            let versioning = try await bucketVersioning(c, bucket: bucket)
            try await lockKey(c, bucket: bucket, key: key)
            let k = Self.bytes(key)
            let nothing = ObjectDeletion(version: nil, releasedBlobs: false)
            // FOR UPDATE: an unversioned PUT takes no key lock, but must wait for this row.
            let current = try await c.query("""
                SELECT \(unescaped: Self.objectColumns) FROM objects WHERE bucket = \(bucket) AND key = \(k) FOR UPDATE
                """, logger: logger).collect().first.map(objectRecord)
            if action == .expireCurrent {
                guard let current, current.version == version else { return nothing }
                let deletion = try await deleteLatest(c, bucket: bucket, key: key, versioning: versioning)
                return ObjectDeletion(version: deletion.version ?? current, releasedBlobs: deletion.releasedBlobs)
            }
            guard let record = try await c.query("""
                SELECT \(unescaped: Self.versionColumns) FROM kept_versions WHERE bucket = \(bucket) AND key = \(k) AND version = \(version)
                """, logger: logger).collect().first.map(versionRecord) else { return nothing }
            guard let counts = try await c.query("""
                SELECT max(version), count(*) FROM kept_versions WHERE bucket = \(bucket) AND key = \(k)
                """, logger: logger).collect().first else { return nothing }
            let (newest, count) = try counts.decode((Int64, Int64).self)
            switch action {
            case .expireCurrent: return nothing
            case .removeNoncurrent: guard current != nil || newest != version else { return nothing }
            case .removeDeleteMarker: guard record.isDeleteMarker, current == nil, count == 1 else { return nothing }
            }
            try check(record)
            try await c.query("DELETE FROM kept_versions WHERE bucket = \(bucket) AND key = \(k) AND version = \(version)", logger: logger)
            let released = try await retireSegments(c, version: version)
            return ObjectDeletion(version: record, releasedBlobs: released)
        }
    }

    public func deleteVersion(bucket: String, key: String, version: VersionSelector,
                              check: @escaping @Sendable (ObjectRecord) throws -> Void) async throws -> ObjectDeletion {
        try await transaction { [self] c in
            _ = try await bucketVersioning(c, bucket: bucket)
            try await lockKey(c, bucket: bucket, key: key)
            guard let row = try await versionRows(bucket: bucket, key: key, condition: Self.selecting(version), in: c).first else {
                return ObjectDeletion(version: nil, releasedBlobs: false)
            }
            let record = try versionRecord(row)
            try check(record)
            let k = Self.bytes(key)
            try await c.query("DELETE FROM objects WHERE bucket = \(bucket) AND key = \(k) AND version = \(record.version)", logger: logger)
            try await c.query("DELETE FROM kept_versions WHERE bucket = \(bucket) AND key = \(k) AND version = \(record.version)", logger: logger)
            let released = try await retireSegments(c, version: record.version)
            try await promoteLatest(c, bucket: bucket, key: key)
            return ObjectDeletion(version: record, releasedBlobs: released)
        }
    }

    public func objectVersion(bucket: String, key: String, version: VersionSelector) async throws -> (ObjectRecord, [Segment])? {
        guard let row = try await versionRows(bucket: bucket, key: key, condition: Self.selecting(version)).first else { return nil }
        let record = try versionRecord(row)
        // A version's segments never change while it exists; a reader re-checks that it does (`hasVersion`).
        return (record, record.isDeleteMarker ? [] : try await segments(version: record.version))
    }

    public func latestVersion(bucket: String, key: String) async throws -> ObjectRecord? {
        try await versionRows(bucket: bucket, key: key, condition: "true").first.map(versionRecord)
    }

    public func updateAttributes(bucket: String, key: String, version: VersionSelector?,
                                 change: @escaping @Sendable (ObjectRecord) throws -> ObjectAttributes) async throws -> ObjectRecord? {
        try await transaction { [self] c in
            // Serialised with every other change to the key's versions, so that two rewrites never lose one.
            try await lockKey(c, bucket: bucket, key: key)
            let rows: [PostgresRow]
            if let version {
                rows = try await versionRows(bucket: bucket, key: key, condition: Self.selecting(version), in: c)
            } else {
                rows = try await c.query("""
                    SELECT \(unescaped: Self.objectColumns), false FROM objects WHERE bucket = \(bucket) AND key = \(Self.bytes(key))
                    """, logger: logger).collect()
            }
            guard let row = rows.first else { return nil }
            var record = try versionRecord(row)
            record.attributes = try change(record)
            let (attrs, k) = (try Self.encodeAttributes(record.attributes), Self.bytes(key))
            let changed = try await c.query("""
                UPDATE objects SET attrs = \(attrs) WHERE bucket = \(bucket) AND key = \(k) AND version = \(record.version) RETURNING 1
                """, logger: logger).collect().count
                + c.query("""
                UPDATE kept_versions SET attrs = \(attrs) WHERE bucket = \(bucket) AND key = \(k) AND version = \(record.version) RETURNING 1
                """, logger: logger).collect().count
            // A put that does not take the key's lock (unversioned) may have replaced the version meanwhile.
            return changed == 1 ? record : nil
        }
    }

    public func hasVersion(bucket: String, key: String, version: Int64) async throws -> Bool {
        let k = Self.bytes(key)
        let rows = try await rows("""
            SELECT EXISTS(SELECT 1 FROM objects WHERE bucket = \(bucket) AND key = \(k) AND version = \(version))
                OR EXISTS(SELECT 1 FROM kept_versions WHERE bucket = \(bucket) AND key = \(k) AND version = \(version))
            """)
        return try rows.first?.decode(Bool.self) ?? false
    }

    /// " AND …" conditions for "key within prefix, from start", with their binds appended to `binds`.
    private func keyRange(prefix: [UInt8], start: ScanStart?, binds: inout PostgresBindings) -> String {
        var sql = ""
        func bind(_ b: [UInt8]) -> String { binds.append(Self.bytes(b)); return "$\(binds.count)" }
        if !prefix.isEmpty {
            sql += " AND key >= \(bind(prefix))"
            if let end = prefix.prefixSuccessor { sql += " AND key < \(bind(end))" }
        }
        switch start {
        case .none: break
        case .afterKey(let k): sql += " AND key > \(bind(k))"
        case .atOrAfterKey(let k): sql += " AND key >= \(bind(k))"
        case .afterUpload(let k, let id):
            let key = bind(k)
            binds.append(id)
            sql += " AND (key > \(key) OR (key = \(key) AND upload_id > $\(binds.count)))"
        case .afterVersion(let k, let version):
            let key = bind(k)
            binds.append(version)
            sql += " AND (key > \(key) OR (key = \(key) AND version < $\(binds.count)))"
        }
        return sql
    }

    public func scanObjects(bucket: String, prefix: [UInt8], start: ScanStart?, limit: Int) async throws -> [ObjectSummary] {
        try await page("key, size, etag, mtime, storage_class", of: "objects", orderedBy: "key", bucket: bucket,
                       prefix: prefix, start: start, limit: limit).map { row in
            let (keyBytes, size, etag, mtime, storageClass) = try row.decode((ByteBuffer, Int64, String, Double, String?).self)
            let key = Self.string(keyBytes)
            return ObjectSummary(key: key, size: try Self.nonNegative(size, "objects \(bucket)/\(key): size"), etag: etag,
                                 lastModified: Self.date(mtime), storageClass: storageClass)
        }
    }

    public func scanVersions(bucket: String, prefix: [UInt8], start: ScanStart?, limit: Int, withTags: Bool) async throws -> [ObjectVersionSummary] {
        var binds = PostgresBindings()
        binds.append(bucket)
        let range = keyRange(prefix: prefix, start: start, binds: &binds)
        binds.append(limit)
        // The attributes (where tags are) only when asked: decoding them is the costly part of a row.
        let attrsColumn = withTags ? "attrs" : "NULL::text AS attrs"
        // A noncurrent row is the latest only when the key has no current object and it is the newest kept.
        let sql = """
            SELECT key, version, size, etag, mtime, storage_class, versioned, delete_marker, latest, attrs FROM (
                SELECT key, version, size, etag, mtime, storage_class, versioned, false AS delete_marker, true AS latest, \(attrsColumn)
                FROM objects WHERE bucket = $1\(range)
                UNION ALL
                SELECT key, version, size, etag, mtime, storage_class, versioned, delete_marker,
                       NOT EXISTS(SELECT 1 FROM objects o WHERE o.bucket = k.bucket AND o.key = k.key)
                       AND version = (SELECT max(version) FROM kept_versions m WHERE m.bucket = k.bucket AND m.key = k.key), \(attrsColumn)
                FROM kept_versions k WHERE bucket = $1\(range)
            ) v ORDER BY key, version DESC LIMIT $\(binds.count)
            """
        return try await rows(PostgresQuery(unsafeSQL: sql, binds: binds)).map { row in
            let (keyBytes, version, size, etag, mtime, storageClass, versioned, marker, latest, attrs) =
                try row.decode((ByteBuffer, Int64, Int64, String, Double, String?, Bool, Bool, Bool, String?).self)
            let key = Self.string(keyBytes)
            var tags: [ObjectTag]?
            if withTags {
                guard let attrs else { throw Self.corrupt("kept_versions \(bucket)/\(key): attrs is NULL") }
                tags = try Self.decodeAttributes(attrs, "kept_versions \(bucket)/\(key)").tags ?? []
            }
            return ObjectVersionSummary(key: key, version: version, versioned: versioned, isDeleteMarker: marker, isLatest: latest,
                                        size: try Self.nonNegative(size, "kept_versions \(bucket)/\(key): size"), etag: etag,
                                        lastModified: Self.date(mtime), storageClass: storageClass, tags: tags)
        }
    }

    // MARK: multipart

    public func createUpload(_ u: UploadRecord) async throws {
        let attrs = try Self.encodeAttributes(u.attributes)
        try await transaction { [self] c in
            guard try await !c.query("SELECT 1 FROM buckets WHERE name = \(u.bucket) FOR KEY SHARE", logger: logger).collect().isEmpty else {
                throw CoreError.noSuchBucket(u.bucket)
            }
            try await c.query("""
                INSERT INTO uploads(upload_id, bucket, key, initiated, attrs, checksum_algorithm, checksum_type)
                VALUES(\(u.uploadID), \(u.bucket), \(Self.bytes(u.key)), \(u.initiated.timeIntervalSince1970), \(attrs),
                       \(u.checksumAlgorithm), \(u.checksumType))
                """, logger: logger)
        }
    }

    private static let uploadColumns = "upload_id, bucket, key, initiated, attrs, checksum_algorithm, checksum_type"

    private func uploadRecord(_ row: PostgresRow) throws -> UploadRecord {
        let (id, bucket, key, initiated, attrs, algorithm, type) =
            try row.decode((String, String, ByteBuffer, Double, String, String?, String?).self)
        return UploadRecord(uploadID: id, bucket: bucket, key: Self.string(key), initiated: Self.date(initiated),
                            attributes: try Self.decodeAttributes(attrs, "uploads \(id)"), checksumAlgorithm: algorithm,
                            checksumType: type)
    }

    public func upload(id: String) async throws -> UploadRecord? {
        try await rows("SELECT \(unescaped: Self.uploadColumns) FROM uploads WHERE upload_id = \(id)").first.map(uploadRecord)
    }

    private static let partColumns = "part_number, blob, size, etag, mtime, checksums"

    private func partRecord(_ row: PostgresRow, uploadID: String) throws -> PartRecord {
        let (number, blob, size, etag, mtime, checksums) = try row.decode((Int, String, Int64, String, Double, String?).self)
        let what = { "parts \(uploadID)/\(number)" }   // only for an error: 10,000 rows in a completion
        return PartRecord(partNumber: number, blob: blob, size: try Self.nonNegative(size, "\(what()): size"), etag: etag,
                          lastModified: Self.date(mtime), checksums: try Self.decodeChecksums(checksums, what()))
    }

    public func putPart(uploadID: String, part: PartRecord) async throws {
        let checksums = try Self.encodeChecksums(part.checksums)
        let mtime = part.lastModified.timeIntervalSince1970
        try await transaction { [self] c in
            // FOR SHARE: parts of one upload land side by side, and before (or fail after) its completion or abort.
            guard try await !c.query("SELECT 1 FROM uploads WHERE upload_id = \(uploadID) FOR SHARE", logger: logger).collect().isEmpty else {
                throw CoreError.noSuchUpload(uploadID)
            }
            while true {
                let inserted = try await c.query("""
                    INSERT INTO parts(upload_id, part_number, blob, size, etag, mtime, checksums)
                    VALUES(\(uploadID), \(part.partNumber), \(part.blob), \(part.size), \(part.etag), \(mtime), \(checksums))
                    ON CONFLICT (upload_id, part_number) DO NOTHING RETURNING 1
                    """, logger: logger).collect()
                if !inserted.isEmpty { return }
                let old = try await c.query("""
                    SELECT blob FROM parts WHERE upload_id = \(uploadID) AND part_number = \(part.partNumber) FOR UPDATE
                    """, logger: logger).collect()
                guard let oldBlob = try old.first?.decode(String.self) else { continue }
                try await c.query("INSERT INTO garbage(blob, version) VALUES(\(oldBlob), 0) ON CONFLICT (blob) DO NOTHING", logger: logger)
                try await c.query("""
                    UPDATE parts SET blob = \(part.blob), size = \(part.size), etag = \(part.etag), mtime = \(mtime), checksums = \(checksums)
                    WHERE upload_id = \(uploadID) AND part_number = \(part.partNumber)
                    """, logger: logger)
                return
            }
        }
    }

    public func parts(uploadID: String, afterPartNumber: Int, limit: Int) async throws -> [PartRecord] {
        try await rows("""
            SELECT \(unescaped: Self.partColumns) FROM parts WHERE upload_id = \(uploadID) AND part_number > \(afterPartNumber)
            ORDER BY part_number LIMIT \(limit)
            """).map { try partRecord($0, uploadID: uploadID) }
    }

    public func completeUpload(uploadID: String, condition: WriteCondition?, partListDigest: String,
                               assemble: @escaping @Sendable ([PartRecord]) throws -> (ObjectRecord, [Segment])) async throws -> ObjectRecord {
        try await transaction { [self] c in
            // The upload row's lock makes concurrent completions and aborts take turns: the later ones find it gone.
            guard try await !c.query("SELECT 1 FROM uploads WHERE upload_id = \(uploadID) FOR UPDATE", logger: logger).collect().isEmpty else {
                throw CoreError.noSuchUpload(uploadID)
            }
            let parts = try await takeParts(c, uploadID: uploadID)   // put back by the rollback if assembling fails
            let (object, segments) = try assemble(parts)
            try await c.query("DELETE FROM uploads WHERE upload_id = \(uploadID)", logger: logger)
            let stored = try await insertObject(c, object, segments, condition: condition)   // the collector runs after a completion anyway
            // Parts the object does not use are freed; the used ones now belong to the object.
            let unused = Self.unusedBlobs(parts, segments)
            if !unused.isEmpty {
                try await c.query("""
                    INSERT INTO garbage(blob, version) SELECT b, 0 FROM unnest(\(unused)::text[]) AS b ON CONFLICT (blob) DO NOTHING
                    """, logger: logger)
            }
            let done = CompletedUpload(uploadID: uploadID, partListDigest: partListDigest, object: stored.record)
            let checksums = try Self.encodeChecksums(done.checksums)
            try await c.query("""
                INSERT INTO completed_uploads(upload_id, bucket, key, part_list_digest, etag, checksums, checksum_type, completed, version_id)
                VALUES(\(done.uploadID), \(done.bucket), \(Self.bytes(done.key)), \(done.partListDigest), \(done.etag),
                       \(checksums), \(done.checksumType), \(done.completed.timeIntervalSince1970), \(done.versionID))
                """, logger: logger)
            return stored.record
        }
    }

    /// In a transaction: deletes an upload's parts and returns them by part number. One statement and one
    /// row of arrays: 10,000 rows streamed and decoded one by one were most of a completion's time here.
    private func takeParts(_ c: PostgresConnection, uploadID: String) async throws -> [PartRecord] {
        let rows = try await c.query("""
            WITH gone AS (DELETE FROM parts WHERE upload_id = \(uploadID) RETURNING \(unescaped: Self.partColumns))
            SELECT count(*), coalesce(array_agg(part_number::bigint ORDER BY part_number), '{}'),
                   coalesce(array_agg(blob ORDER BY part_number), '{}'), coalesce(array_agg(size ORDER BY part_number), '{}'),
                   coalesce(array_agg(etag ORDER BY part_number), '{}'), coalesce(array_agg(mtime ORDER BY part_number), '{}'),
                   coalesce(array_agg(coalesce(checksums, '') ORDER BY part_number), '{}')
            FROM gone
            """, logger: logger).collect()
        guard let row = rows.first else { return [] }
        let (count, numbers, blobs, sizes, etags, mtimes, checksums) =
            try row.decode((Int64, [Int64], [String], [Int64], [String], [Double], [String]).self)
        guard [numbers.count, blobs.count, sizes.count, etags.count, mtimes.count, checksums.count].allSatisfy({ $0 == Int(count) }) else {
            throw Self.corrupt("parts \(uploadID): the aggregated columns disagree in length")
        }
        var parts: [PartRecord] = []
        parts.reserveCapacity(numbers.count)
        for i in numbers.indices {
            let what = { "parts \(uploadID)/\(numbers[i])" }   // only for an error
            parts.append(PartRecord(partNumber: Int(numbers[i]), blob: blobs[i], size: try Self.nonNegative(sizes[i], "\(what()): size"),
                                    etag: etags[i], lastModified: Self.date(mtimes[i]),
                                    checksums: try Self.decodeChecksums(checksums[i].isEmpty ? nil : checksums[i], what())))
        }
        return parts
    }

    public func completedUpload(id: String) async throws -> CompletedUpload? {
        guard let row = try await rows("""
            SELECT bucket, key, part_list_digest, etag, checksums, checksum_type, completed, version_id FROM completed_uploads
            WHERE upload_id = \(id)
            """).first else { return nil }
        let (bucket, key, digest, etag, checksums, type, completed, versionID) =
            try row.decode((String, ByteBuffer, String, String, String?, String?, Double, String?).self)
        if let versionID, !CompletedUpload.validVersionID(versionID) { throw Self.corrupt("completed_uploads \(id): version_id \"\(versionID)\"") }
        return CompletedUpload(uploadID: id, bucket: bucket, key: Self.string(key), partListDigest: digest, etag: etag,
                               checksums: try Self.decodeChecksums(checksums, "completed_uploads \(id)"), checksumType: type,
                               versionID: versionID, completed: Self.date(completed))
    }

    public func forgetCompletedUploads(completedBefore date: Date) async throws -> Int {
        try await transaction { [self] c in
            try await c.query("DELETE FROM completed_uploads WHERE completed < \(date.timeIntervalSince1970) RETURNING 1",
                              logger: logger).collect().count
        }
    }

    /// The parts' blobs no segment uses.
    private static func unusedBlobs(_ parts: [PartRecord], _ segments: [Segment]) -> [BlobID] {
        if parts.count == segments.count && zip(parts, segments).allSatisfy({ $0.blob == $1.blob }) { return [] }
        let used = Set(segments.map(\.blob))
        return parts.compactMap { used.contains($0.blob) ? nil : $0.blob }
    }

    public func abortUpload(uploadID: String) async throws {
        try await transaction { [self] c in
            guard try await !c.query("SELECT 1 FROM uploads WHERE upload_id = \(uploadID) FOR UPDATE", logger: logger).collect().isEmpty else {
                throw CoreError.noSuchUpload(uploadID)
            }
            try await c.query("""
                INSERT INTO garbage(blob, version) SELECT blob, 0 FROM parts WHERE upload_id = \(uploadID) ON CONFLICT (blob) DO NOTHING
                """, logger: logger)
            try await c.query("DELETE FROM parts WHERE upload_id = \(uploadID)", logger: logger)
            try await c.query("DELETE FROM uploads WHERE upload_id = \(uploadID)", logger: logger)
        }
    }

    public func scanUploads(bucket: String, prefix: [UInt8], start: ScanStart?, limit: Int) async throws -> [UploadSummary] {
        try await page("key, upload_id, initiated, attrs", of: "uploads", orderedBy: "key, upload_id", bucket: bucket,
                       prefix: prefix, start: start, limit: limit).map { row in
            let (key, id, initiated, attrs) = try row.decode((ByteBuffer, String, Double, String).self)
            return UploadSummary(key: Self.string(key), uploadID: id, initiated: Self.date(initiated),
                                 storageClass: try Self.decodeAttributes(attrs, "uploads \(id)").storageClass)
        }
    }

    public func uploads(initiatedBefore date: Date, limit: Int) async throws -> [UploadRecord] {
        try await rows("""
            SELECT \(unescaped: Self.uploadColumns) FROM uploads WHERE initiated < \(date.timeIntervalSince1970)
            ORDER BY initiated LIMIT \(limit)
            """).map(uploadRecord)
    }

    // MARK: garbage

    public func garbage(limit: Int) async throws -> [GarbageEntry] {
        try await rows("SELECT blob, version FROM garbage ORDER BY blob LIMIT \(limit)").map { row in
            let (blob, version) = try row.decode((String, Int64).self)
            return GarbageEntry(blob: blob, version: version)
        }
    }

    public func forgetGarbage(_ blobs: [BlobID]) async throws {
        guard !blobs.isEmpty else { return }
        try await transaction { [self] c in
            try await c.query("DELETE FROM garbage WHERE blob = ANY(\(blobs)::text[])", logger: logger)
        }
    }

    public func unreferenced(_ blobs: [BlobID]) async throws -> [BlobID] {
        guard !blobs.isEmpty else { return [] }
        return try await rows("""
            SELECT b FROM unnest(\(blobs)::text[]) WITH ORDINALITY AS t(b, i)
            WHERE NOT EXISTS (SELECT 1 FROM segments WHERE blob = t.b AND blob <> '')
              AND NOT EXISTS (SELECT 1 FROM parts WHERE blob = t.b)
              AND NOT EXISTS (SELECT 1 FROM garbage WHERE blob = t.b)
            ORDER BY i
            """).map { try $0.decode(String.self) }
    }

    /// "ok", as SQLite's `PRAGMA integrity_check` says it, or one line per kind of inconsistency found:
    /// segments of no object, objects whose segments do not add up to their size, inline bodies of the
    /// wrong length, parts of no upload, negative sizes.
    public func integrityCheck() async throws -> String {
        let checks: [(String, PostgresQuery)] = [
            ("segments of no object", "SELECT count(*) FROM segments s WHERE NOT EXISTS (SELECT 1 FROM objects o WHERE o.version = s.version)"),
            ("objects whose segments do not add up to their size", """
                SELECT count(*) FROM objects o
                WHERE o.size <> COALESCE((SELECT sum(s.size) FROM segments s WHERE s.version = o.version), 0)
                """),
            ("inline segments of the wrong length", "SELECT count(*) FROM segments WHERE data IS NOT NULL AND length(data) <> size"),
            ("segments with neither a blob nor inline data", "SELECT count(*) FROM segments WHERE data IS NULL AND blob = ''"),
            ("parts of no upload", "SELECT count(*) FROM parts p WHERE NOT EXISTS (SELECT 1 FROM uploads u WHERE u.upload_id = p.upload_id)"),
            ("negative sizes", "SELECT (SELECT count(*) FROM segments WHERE size < 0 OR byte_offset < 0) + (SELECT count(*) FROM parts WHERE size < 0)"),
        ]
        var problems: [String] = []
        for (what, query) in checks {
            let n = try await rows(query).first?.decode(Int64.self) ?? 0
            if n > 0 { problems.append("\(what): \(n)") }
        }
        return problems.isEmpty ? "ok" : problems.joined(separator: "\n")
    }
}
