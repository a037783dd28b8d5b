import CSQLite
import Foundation
import StorageCore

/// The operator's view of the SQLite store (metrics, health, fsck, admin commands). Reads use the
/// reader pool (WAL snapshots, concurrent with a running daemon); writes take the one writer.
extension SQLiteMetadataStore: MetadataInventory {
    public func ping() async throws {
        try await read { c in try c.query("SELECT 1") }
    }

    public func counts() async throws -> MetadataCounts {
        try await read { c in
            var r = MetadataCounts()
            try c.query("SELECT count(*) FROM buckets") { r.buckets = Int($0.int(0)) }
            try c.query("SELECT count(*) FROM objects") { r.objects = Int($0.int(0)) }
            try c.query("SELECT count(*) FROM uploads") { r.uploads = Int($0.int(0)) }
            // Parts of uploads in progress (a completed upload's part rows may stay, as its object's manifest).
            try c.query("SELECT count(*), coalesce(sum(p.size), 0) FROM parts p JOIN uploads u ON u.upload_id = p.upload_id") {
                r.parts = Int($0.int(0)); r.partBytes = $0.int(1)
            }
            try c.query("SELECT count(*) FROM garbage") { r.garbage = Int($0.int(0)) }
            return r
        }
    }

    public func usage(bucket: String) async throws -> BucketUsage {
        try await read { c in
            var u = BucketUsage()
            try c.query("SELECT count(*), coalesce(sum(size), 0) FROM objects WHERE bucket=?", [.text(bucket)]) {
                u.objects = Int($0.int(0)); u.bytes = $0.int(1)
            }
            try c.query("SELECT count(*) FROM uploads WHERE bucket=?", [.text(bucket)]) { u.uploads = Int($0.int(0)) }
            return u
        }
    }

    public func partUsage(uploadID: String) async throws -> (count: Int, bytes: Int64) {
        try await read { c in
            var r = (count: 0, bytes: Int64(0))
            try c.query("SELECT count(*), coalesce(sum(size), 0) FROM parts WHERE upload_id=?", [.text(uploadID)]) {
                r = (Int($0.int(0)), $0.int(1))
            }
            return r
        }
    }

    public func objectBlobs(after: ObjectPosition?, limit: Int) async throws -> (blobs: [ObjectBlob], next: ObjectPosition?) {
        try await read { c in
            var page: [(bucket: String, key: [UInt8], version: Int64)] = []
            if let after {
                try c.query("SELECT bucket, key, version FROM objects WHERE (bucket, key) > (?, ?) ORDER BY bucket, key LIMIT ?",
                            [.text(after.bucket), .blob(after.key), .int(Int64(limit))]) { page.append(($0.text(0), $0.bytes(1), $0.int(2))) }
            } else {
                try c.query("SELECT bucket, key, version FROM objects ORDER BY bucket, key LIMIT ?", [.int(Int64(limit))]) {
                    page.append(($0.text(0), $0.bytes(1), $0.int(2)))
                }
            }
            var blobs: [ObjectBlob] = []
            for o in page {
                for s in try self.segments(c, version: o.version) where s.inline == nil {
                    blobs.append(ObjectBlob(bucket: o.bucket, key: String(decoding: o.key, as: UTF8.self), keyBytes: o.key,
                                            version: o.version, blob: s.blob))
                }
            }
            let next = page.count < limit ? nil : page.last.map { ObjectPosition(bucket: $0.bucket, key: $0.key) }
            return (blobs, next)
        }
    }

    public func partBlobs(after: PartPosition?, limit: Int) async throws -> [PartBlob] {
        try await read { c in
            var r: [PartBlob] = []
            let row: (Row) -> Void = { row in
                r.append(PartBlob(uploadID: row.text(0), bucket: row.text(1), key: row.key(2), partNumber: Int(row.int(3)), blob: row.text(4)))
            }
            let select = "SELECT p.upload_id, u.bucket, u.key, p.part_number, p.blob FROM parts p JOIN uploads u ON u.upload_id = p.upload_id"
            if let after {
                try c.query(select + " WHERE (p.upload_id, p.part_number) > (?, ?) ORDER BY p.upload_id, p.part_number LIMIT ?",
                            [.text(after.uploadID), .int(Int64(after.partNumber)), .int(Int64(limit))], row: row)
            } else {
                try c.query(select + " ORDER BY p.upload_id, p.part_number LIMIT ?", [.int(Int64(limit))], row: row)
            }
            return r
        }
    }

    public func objectStillUses(_ ref: ObjectBlob) async throws -> Bool {
        try await read { c in
            var found = false
            try c.query("""
                SELECT 1 FROM objects o JOIN segments s ON s.version = o.version
                WHERE o.bucket=? AND o.key=? AND o.version=? AND s.blob=? LIMIT 1
                """, [.text(ref.bucket), .blob(ref.keyBytes), .int(ref.version), .text(ref.blob)]) { _ in found = true }
            if !found {   // or a part of its manifest
                try c.query("""
                    SELECT 1 FROM objects o JOIN manifests m ON m.version = o.version JOIN parts p ON p.upload_id = m.upload_id
                    WHERE o.bucket=? AND o.key=? AND o.version=? AND p.blob=? LIMIT 1
                    """, [.text(ref.bucket), .blob(ref.keyBytes), .int(ref.version), .text(ref.blob)]) { _ in found = true }
            }
            return found
        }
    }

    public func partStillUses(_ ref: PartBlob) async throws -> Bool {
        try await read { c in
            var found = false
            try c.query("SELECT 1 FROM parts WHERE upload_id=? AND part_number=? AND blob=?",
                        [.text(ref.uploadID), .int(Int64(ref.partNumber)), .text(ref.blob)]) { _ in found = true }
            return found
        }
    }

    public func dropObject(bucket: String, key: String, version: Int64) async throws -> Bool {
        try await write { c in
            self.touchedObjects.append(.init(bucket: bucket, key: key))
            let k = Array(key.utf8)
            var current: Int64?
            try c.query("SELECT version FROM objects WHERE bucket=? AND key=?", [.text(bucket), .blob(k)]) { current = $0.int(0) }
            guard current == version else { return false }
            _ = try self.retireSegments(c, version: version)
            try c.query("DELETE FROM objects WHERE bucket=? AND key=?", [.text(bucket), .blob(k)])
            return true
        }
    }

    public func dropPart(uploadID: String, partNumber: Int, blob: BlobID) async throws -> Bool {
        try await write { c in
            try c.query("DELETE FROM parts WHERE upload_id=? AND part_number=? AND blob=?",
                        [.text(uploadID), .int(Int64(partNumber)), .text(blob)])
            guard c.changes == 1 else { return false }
            try c.query("INSERT OR IGNORE INTO garbage(blob, version) VALUES(?, 0)", [.text(blob)])
            return true
        }
    }

    public func partGarbage(limit: Int) async throws -> [BlobID] {
        try await read { c in
            var r: [BlobID] = []
            try c.query("SELECT blob FROM garbage WHERE version=0 LIMIT ?", [.int(Int64(limit))]) { r.append($0.text(0)) }
            return r
        }
    }
}
