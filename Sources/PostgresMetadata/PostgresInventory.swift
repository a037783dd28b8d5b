import Foundation
import NIOCore
import PostgresNIO
import StorageCore

/// The operator's view of the PostgreSQL store (metrics, health, fsck, admin commands), as
/// `SQLiteInventory` gives it for SQLite: reads are single statements, drops are transactions.
extension PostgresMetadataStore: MetadataInventory {
    public func ping() async throws {
        _ = try await rows("SELECT 1")
    }

    public func counts() async throws -> MetadataCounts {
        guard let row = try await rows("""
            SELECT (SELECT count(*) FROM buckets), (SELECT count(*) FROM objects), (SELECT count(*) FROM uploads),
                   (SELECT count(*) FROM parts), (SELECT coalesce(sum(size), 0)::bigint FROM parts), (SELECT count(*) FROM garbage)
            """).first else { return MetadataCounts() }
        let (buckets, objects, uploads, parts, partBytes, garbage) = try row.decode((Int, Int, Int, Int, Int64, Int).self)
        var r = MetadataCounts()
        r.buckets = buckets; r.objects = objects; r.uploads = uploads; r.parts = parts; r.partBytes = partBytes; r.garbage = garbage
        return r
    }

    public func usage(bucket: String) async throws -> BucketUsage {
        var u = BucketUsage()
        guard let row = try await rows("""
            SELECT (SELECT count(*) FROM objects WHERE bucket = \(bucket)),
                   (SELECT coalesce(sum(size), 0)::bigint FROM objects WHERE bucket = \(bucket)),
                   (SELECT count(*) FROM uploads WHERE bucket = \(bucket))
            """).first else { return u }
        (u.objects, u.bytes, u.uploads) = try row.decode((Int, Int64, Int).self)
        return u
    }

    public func partUsage(uploadID: String) async throws -> (count: Int, bytes: Int64) {
        guard let row = try await rows("SELECT count(*), coalesce(sum(size), 0)::bigint FROM parts WHERE upload_id = \(uploadID)").first else {
            return (0, 0)
        }
        let (count, bytes) = try row.decode((Int, Int64).self)
        return (count, bytes)
    }

    public func objectBlobs(after: ObjectPosition?, limit: Int) async throws -> (blobs: [ObjectBlob], next: ObjectPosition?) {
        let page: [PostgresRow]
        if let after {
            page = try await rows("""
                SELECT bucket, key, version FROM objects WHERE (bucket, key) > (\(after.bucket), \(Self.bytes(after.key)))
                ORDER BY bucket, key LIMIT \(limit)
                """)
        } else {
            page = try await rows("SELECT bucket, key, version FROM objects ORDER BY bucket, key LIMIT \(limit)")
        }
        var objects: [(bucket: String, key: [UInt8], version: Int64)] = []
        for row in page {
            let (bucket, key, version) = try row.decode((String, ByteBuffer, Int64).self)
            objects.append((bucket, Array(key.readableBytesView), version))
        }
        var blobs: [ObjectBlob] = []
        for o in objects {
            for row in try await rows("SELECT blob FROM segments WHERE version = \(o.version) AND data IS NULL ORDER BY byte_offset") {
                blobs.append(ObjectBlob(bucket: o.bucket, key: String(decoding: o.key, as: UTF8.self), keyBytes: o.key,
                                        version: o.version, blob: try row.decode(String.self)))
            }
        }
        let next = objects.count < limit ? nil : objects.last.map { ObjectPosition(bucket: $0.bucket, key: $0.key) }
        return (blobs, next)
    }

    public func partBlobs(after: PartPosition?, limit: Int) async throws -> [PartBlob] {
        let page: [PostgresRow]
        if let after {
            page = try await rows("""
                SELECT p.upload_id, u.bucket, u.key, p.part_number, p.blob FROM parts p JOIN uploads u ON u.upload_id = p.upload_id
                WHERE (p.upload_id, p.part_number) > (\(after.uploadID), \(after.partNumber))
                ORDER BY p.upload_id, p.part_number LIMIT \(limit)
                """)
        } else {
            page = try await rows("""
                SELECT p.upload_id, u.bucket, u.key, p.part_number, p.blob FROM parts p JOIN uploads u ON u.upload_id = p.upload_id
                ORDER BY p.upload_id, p.part_number LIMIT \(limit)
                """)
        }
        return try page.map { row in
            let (id, bucket, key, number, blob) = try row.decode((String, String, ByteBuffer, Int, String).self)
            return PartBlob(uploadID: id, bucket: bucket, key: Self.string(key), partNumber: number, blob: blob)
        }
    }

    public func objectStillUses(_ ref: ObjectBlob) async throws -> Bool {
        try await !rows("""
            SELECT 1 FROM objects o JOIN segments s ON s.version = o.version
            WHERE o.bucket = \(ref.bucket) AND o.key = \(Self.bytes(ref.keyBytes)) AND o.version = \(ref.version) AND s.blob = \(ref.blob)
            LIMIT 1
            """).isEmpty
    }

    public func partStillUses(_ ref: PartBlob) async throws -> Bool {
        try await !rows("""
            SELECT 1 FROM parts WHERE upload_id = \(ref.uploadID) AND part_number = \(ref.partNumber) AND blob = \(ref.blob)
            """).isEmpty
    }

    public func dropObject(bucket: String, key: String, version: Int64) async throws -> Bool {
        try await transaction { [self] c in
            let deleted = try await c.query("""
                DELETE FROM objects WHERE bucket = \(bucket) AND key = \(Self.bytes(key)) AND version = \(version) RETURNING 1
                """, logger: logger).collect()
            guard !deleted.isEmpty else { return false }
            _ = try await retireSegments(c, version: version)
            return true
        }
    }

    public func dropPart(uploadID: String, partNumber: Int, blob: BlobID) async throws -> Bool {
        try await transaction { [self] c in
            let deleted = try await c.query("""
                DELETE FROM parts WHERE upload_id = \(uploadID) AND part_number = \(partNumber) AND blob = \(blob) RETURNING 1
                """, logger: logger).collect()
            guard !deleted.isEmpty else { return false }
            try await c.query("INSERT INTO garbage(blob, version) VALUES(\(blob), 0) ON CONFLICT (blob) DO NOTHING", logger: logger)
            return true
        }
    }

    public func partGarbage(limit: Int) async throws -> [BlobID] {
        try await rows("SELECT blob FROM garbage WHERE version = 0 ORDER BY blob LIMIT \(limit)").map { try $0.decode(String.self) }
    }
}
