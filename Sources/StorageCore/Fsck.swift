import Foundation

/// Metadata ↔ blob consistency check (`tessera fsck`), safe beside a running daemon:
///
/// - SQLite's `PRAGMA integrity_check`.
/// - Orphans: blob files no object, part or garbage entry names. Only files older than `minAge`
///   count: a running daemon writes a blob before the metadata that names it.
/// - Missing blobs: objects and parts whose blob file is gone. Each is re-checked against fresh
///   metadata before it is reported, so an object replaced (and its old blob collected) during the
///   scan is not mistaken for damage.
///
/// Repairs happen only when asked: `repairOrphans` deletes orphans (each re-checked just before),
/// `dropMissing` removes the objects and parts whose blobs are gone (their other blobs become garbage).
public struct Fsck {
    public struct Options: Sendable {
        public var minAge: TimeInterval = 600
        public var repairOrphans = false
        public var dropMissing = false
        public var now = Date()
        public init() {}
    }

    public struct Report: Sendable {
        public var integrity = "ok"
        public var blobsScanned = 0
        /// Unreferenced but younger than minAge: possibly mid-write, left alone.
        public var youngUnreferenced = 0
        public var orphans: [BlobID] = []
        public var orphansDeleted = 0
        public var objectsScanned = 0
        /// Versions under Object Lock whose blobs are missing: reported, never dropped by a repair.
        public var lockedKept: Set<Int64> = []
        public var partsScanned = 0
        public var missingObjectBlobs: [ObjectBlob] = []
        public var missingPartBlobs: [PartBlob] = []
        public var objectsDropped = 0
        public var partsDropped = 0

        public var integrityOK: Bool { integrity == "ok" }
        /// Problems not repaired by this run.
        public var remainingProblems: Int {
            (integrityOK ? 0 : 1) + (orphans.count - orphansDeleted)
                + Set(missingObjectBlobs.map { "\($0.bucket)\u{0}\($0.key)" }).count - objectsDropped
                + missingPartBlobs.count - partsDropped
        }
    }

    let metadata: any MetadataStore & MetadataInventory
    let blobs: any BlobStore & BlobInventory

    public init(metadata: any MetadataStore & MetadataInventory, blobs: any BlobStore & BlobInventory) {
        self.metadata = metadata
        self.blobs = blobs
    }

    /// Builds a checker over a storage whose stores support inventory; nil otherwise.
    public init?(storage: Storage) {
        guard let m = storage.metadata as? any MetadataStore & MetadataInventory,
              let b = storage.blobs as? any BlobStore & BlobInventory else { return nil }
        self.init(metadata: m, blobs: b)
    }

    public func run(_ options: Options, progress: ProgressLine? = nil) async throws -> Report {
        var r = Report()
        r.integrity = try await metadata.integrityCheck()

        // 1. Files on disk that nothing names.
        let unreferenced = try await UnreferencedBlobs.scan(blobs: blobs, metadata: metadata,
                                                            cutoff: options.now.addingTimeInterval(-options.minAge)) {
            progress?.update("blobs \($0.scanned), orphans \($0.old.count)")
        }
        r.orphans = unreferenced.old
        r.youngUnreferenced = unreferenced.young
        r.blobsScanned = unreferenced.scanned

        // 2. Objects whose blobs are gone.
        var after: ObjectPosition?
        repeat {
            let page = try await metadata.objectBlobs(after: after, limit: 500)
            var seen = Set<Int64>()
            for ref in page.blobs where seen.insert(ref.version).inserted { r.objectsScanned += 1 }
            let missing = try await blobs.missing(page.blobs.map(\.blob))
            for ref in page.blobs where missing.contains(ref.blob) {
                if try await metadata.objectStillUses(ref), try await !blobs.missing([ref.blob]).isEmpty {
                    r.missingObjectBlobs.append(ref)
                }
            }
            after = page.next
            progress?.update("blobs \(r.blobsScanned), orphans \(r.orphans.count), objects \(r.objectsScanned), missing \(r.missingObjectBlobs.count)")
        } while after != nil

        // 3. Parts whose blobs are gone.
        var partAfter: PartPosition?
        while true {
            let page = try await metadata.partBlobs(after: partAfter, limit: 1000)
            r.partsScanned += page.count
            let missing = try await blobs.missing(page.map(\.blob))
            for ref in page where missing.contains(ref.blob) {
                if try await metadata.partStillUses(ref), try await !blobs.missing([ref.blob]).isEmpty {
                    r.missingPartBlobs.append(ref)
                }
            }
            guard page.count == 1000, let last = page.last else { break }
            partAfter = last.position
            progress?.update("parts \(r.partsScanned), missing \(r.missingPartBlobs.count)")
        }

        // 4. Repairs, only as asked.
        if options.repairOrphans && !r.orphans.isEmpty {
            let still = try await metadata.unreferenced(r.orphans)   // re-checked just before
            try await blobs.delete(still)
            r.orphansDeleted = still.count
        }
        if options.dropMissing {
            var dropped = Set<Int64>()
            for ref in r.missingObjectBlobs where !dropped.contains(ref.version) {
                // A version under Object Lock is kept, damaged: dropping it would free its other blobs.
                if let (record, _) = try await metadata.objectVersion(bucket: ref.bucket, key: ref.key, version: .version(ref.version)),
                   ObjectLock.isLocked(record.attributes, at: options.now) {
                    r.lockedKept.insert(ref.version)
                    continue
                }
                if try await metadata.dropObject(bucket: ref.bucket, key: ref.key, version: ref.version) {
                    dropped.insert(ref.version)
                    r.objectsDropped += 1
                }
            }
            for ref in r.missingPartBlobs where try await metadata.dropPart(uploadID: ref.uploadID, partNumber: ref.partNumber, blob: ref.blob) {
                r.partsDropped += 1
            }
        }
        progress?.finish("blobs \(r.blobsScanned), objects \(r.objectsScanned), parts \(r.partsScanned); "
                         + "orphans \(r.orphans.count), missing \(r.missingObjectBlobs.count + r.missingPartBlobs.count)")
        return r
    }
}
