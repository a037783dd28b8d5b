import StorageCore
import WireFormats

/// A multipart object whose segments are its completed upload's part rows, left where they were: the
/// `manifests` row (version → upload ID) says so. The segments are the parts in part order, each at the
/// running sum of the sizes before it, each with the part's checksum in the algorithm `checksum` names
/// (none when NULL). A completion of 10,000 parts then writes one row, not 10,000 deletions from `parts`
/// and 10,000 insertions into `segments` (the two indexes' pages included).
///
/// Used when the object is every part of the upload in order, as almost every completion is; a
/// completion that leaves parts out writes its segments as any object does.
struct PartManifest: Equatable {
    /// The part checksums' algorithm the segments carry; nil for none.
    var checksum: String?

    /// The manifest that gives exactly `segments` from `parts` (read in part order), or nil when there is none:
    /// a part left out, moved or resized, an inline segment, or checksums that are not one algorithm's part values.
    static func matching(parts: [PartRecord], segments: [Segment]) -> PartManifest? {
        guard !parts.isEmpty, parts.count == segments.count else { return nil }
        var offset: Int64 = 0
        for i in parts.indices {
            let s = segments[i]
            guard s.inline == nil, !s.blob.isEmpty, s.blob == parts[i].blob, s.size == parts[i].size,
                  s.partNumber == parts[i].partNumber, s.offset == offset else { return nil }
            offset += s.size
        }
        guard let first = segments[0].checksum else {
            return segments.allSatisfy { $0.checksum == nil } ? PartManifest(checksum: nil) : nil
        }
        // The algorithm whose value every part's segment carries (sorted: the same choice on every run).
        for name in parts[0].checksums.keys.sorted() where parts[0].checksums[name].map({ sameBytes($0, first) }) == true {
            let all = parts.indices.allSatisfy { i in
                guard let carried = segments[i].checksum, let value = parts[i].checksums[name] else { return false }
                return sameBytes(carried, value)
            }
            if all { return PartManifest(checksum: name) }
        }
        return nil
    }

    /// The statement reading a version's manifest as segment rows: part_number, blob, size, checksums, manifests.checksum.
    static let segmentsQuery = """
        SELECT p.part_number, p.blob, p.size, p.checksums, m.checksum FROM manifests m JOIN parts p ON p.upload_id = m.upload_id
        WHERE m.version=? ORDER BY p.part_number
        """
}

extension SQLiteMetadataStore {
    /// Inside a write transaction: `version`'s segments are `uploadID`'s part rows from now on.
    func insertManifest(_ c: SQLiteConnection, version: Int64, uploadID: String, _ manifest: PartManifest) throws {
        try c.query("INSERT INTO manifests(version, upload_id, checksum) VALUES(?,?,?)",
                    [.int(version), .text(uploadID), manifest.checksum.map { .text($0) } ?? .null])
    }

    /// `version`'s segments from its manifest; nil when it has none (or its rows went in the meantime).
    /// One statement: the manifest and its parts from one snapshot.
    func manifestSegments(_ c: SQLiteConnection, version: Int64) throws -> [Segment]? {
        var r: [Segment] = []
        var offset: Int64 = 0
        try c.query(PartManifest.segmentsQuery, [.int(version)]) { row in
            let what = { "manifests version \(version), part \(row.int(0))" }   // only for an error
            let size = try Self.nonNegative(row.int(2), what() + " size")
            var checksum: String?
            if !row.isNull(4) {
                let name = row.text(4)
                guard !row.isNull(3), let decoded = row.withBytes(3, PartChecksumsColumn.decode) ?? nil, let value = decoded[name] else {
                    throw Self.corrupt("\(what()): no \(name) checksum in the part row")
                }
                checksum = value
            }
            r.append(Segment(blob: row.text(1), size: size, offset: offset, partNumber: Int(row.int(0)), checksum: checksum))
            offset += size
        }
        return r.isEmpty ? nil : r
    }

    /// Inside a write transaction: `version`'s manifest goes, and its part rows with it, their blob files
    /// becoming garbage of `version`. true when some did.
    func retireManifest(_ c: SQLiteConnection, version: Int64) throws -> Bool {
        var uploadID: String?
        try c.query("SELECT upload_id FROM manifests WHERE version=?", [.int(version)]) { uploadID = $0.text(0) }
        guard let uploadID else { return false }
        try c.query("INSERT OR IGNORE INTO garbage(blob, version) SELECT blob, ? FROM parts WHERE upload_id=?",
                    [.int(version), .text(uploadID)])
        let released = c.changes > 0
        try c.query("DELETE FROM parts WHERE upload_id=?", [.text(uploadID)])
        try c.query("DELETE FROM manifests WHERE version=?", [.int(version)])
        return released
    }
}
