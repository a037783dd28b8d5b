import Foundation

/// Deletes blobs that metadata has released, one pass at a time, skipping versions still being read.
final class GarbageCollector: @unchecked Sendable {
    private let lock = NSLock()
    private var running = false
    private var again = false

    /// Starts a pass unless one is running; a running pass is told to go round once more.
    func trigger(_ pass: @escaping @Sendable () async -> Void) {
        lock.lock()
        if running { again = true; lock.unlock(); return }
        running = true
        lock.unlock()
        Task.detached {
            repeat { await pass() } while self.finishPass()
        }
    }

    /// true when another pass was asked for while this one ran.
    private func finishPass() -> Bool {
        lock.withLock {
            if again { again = false; return true }
            running = false
            return false
        }
    }
}

extension Storage {
    public func collectGarbage() {
        collector.trigger { [self] in _ = try? await self.collectGarbageNow() }
    }

    /// One full pass; returns how many blobs were deleted.
    @discardableResult
    public func collectGarbageNow() async throws -> Int {
        var deleted = 0
        while true {
            let entries = try await metadata.garbage(limit: 1000)
            // A version's blobs are asked about once per page: a deleted 10,000-part object is 10,000
            // entries of one version, and a shared store's lease check is a database query.
            var free: [GarbageEntry] = []
            var skipped: [Int64: Bool] = [:]
            for e in entries {
                let skip: Bool
                if let known = skipped[e.version] {
                    skip = known
                } else {
                    skip = try await leases.skipIfLeased(e.version)
                    skipped[e.version] = skip
                }
                if !skip { free.append(e) }
            }
            if free.isEmpty { return deleted }
            let ids = free.map(\.blob)
            try await blobs.delete(ids)
            try await metadata.forgetGarbage(ids)
            deleted += free.count
            if entries.count < 1000 && free.count == entries.count { return deleted }
            if free.count < entries.count { return deleted }  // the rest wait for their readers
        }
    }

    public struct StartupReport: Sendable {
        public var temporariesRemoved = 0
        public var garbageDeleted = 0
        public var orphansDeleted = 0
    }

    /// Start-up sweep: temporaries from a crash, pending garbage, and blobs no metadata names
    /// (written but never committed). Only blobs older than `startedAt` are considered orphans.
    ///
    /// `minAge`: nil when no other process writes into the blob store (every temporary is a crash's);
    /// when several gateways share it, only temporaries and unreferenced blobs last modified more than
    /// `minAge` before `startedAt` are removed: younger ones may be another gateway's writes in flight.
    /// `progress`, when given, shows the blob scan's counts (on a terminal, see `ProgressLine`).
    public func sweep(startedAt: Date = Date(), minAge: TimeInterval? = nil, progress: ProgressLine? = nil) async throws -> StartupReport {
        var report = StartupReport()
        let cutoff = startedAt.addingTimeInterval(-(minAge ?? 0))
        report.temporariesRemoved = try await blobs.sweepTemporaries(olderThan: minAge == nil ? nil : cutoff)
        report.garbageDeleted = try await collectGarbageNow()
        let scan = try await UnreferencedBlobs.scan(blobs: blobs, metadata: metadata, cutoff: cutoff) {
            progress?.update("\($0.scanned) blobs checked, \($0.old.count) unreferenced")
        }
        try await blobs.delete(scan.old)
        progress?.finish("\(scan.scanned) blobs checked, \(scan.old.count) unreferenced removed")
        report.orphansDeleted = scan.old.count
        return report
    }
}

/// Blob files that no metadata names, split at a cutoff: the scan the start-up sweep and `fsck` share.
/// A blob is written before the metadata that names it, so an unreferenced blob modified since the
/// cutoff may be a write in flight.
public struct UnreferencedBlobs: Sendable {
    /// Unreferenced and last modified before the cutoff.
    public var old: [BlobID] = []
    /// Unreferenced but modified since the cutoff (left alone).
    public var young = 0
    /// Blob files listed.
    public var scanned = 0

    /// Lists every blob, page by page, asking metadata which of each page it names; `page` after each.
    public static func scan(blobs: any BlobStore, metadata: any MetadataStore, cutoff: Date,
                            page onPage: (UnreferencedBlobs) -> Void = { _ in }) async throws -> UnreferencedBlobs {
        var r = UnreferencedBlobs()
        var after: BlobID?
        while true {
            let page = try await blobs.listBlobs(after: after, limit: 1000)
            let unreferenced = page.isEmpty ? [] : Set(try await metadata.unreferenced(page.map(\.id)))
            for blob in page where unreferenced.contains(blob.id) {
                if blob.modified < cutoff { r.old.append(blob.id) } else { r.young += 1 }
            }
            r.scanned += page.count
            onPage(r)
            guard page.count == 1000, let last = page.last else { return r }
            after = last.id
        }
    }
}
