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
            var free: [GarbageEntry] = []
            for e in entries where try await !leases.skipIfLeased(e.version) { free.append(e) }
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
    /// `progress`, when given, shows the blob scan's counts (on a terminal, see `ProgressLine`).
    public func sweep(startedAt: Date = Date(), progress: ProgressLine? = nil) async throws -> StartupReport {
        var report = StartupReport()
        report.temporariesRemoved = try await blobs.sweepTemporaries()
        report.garbageDeleted = try await collectGarbageNow()
        var orphans: [BlobID] = []
        var scanned = 0
        var after: BlobID?
        while true {
            let page = try await blobs.listBlobs(after: after, limit: 1000)
            let old = page.filter { $0.modified < startedAt }.map(\.id)
            if !old.isEmpty { orphans += try await metadata.unreferenced(old) }
            scanned += page.count
            progress?.update("\(scanned) blobs checked, \(orphans.count) unreferenced")
            guard page.count == 1000, let last = page.last else { break }
            after = last.id
        }
        try await blobs.delete(orphans)
        progress?.finish("\(scanned) blobs checked, \(orphans.count) unreferenced removed")
        report.orphansDeleted = orphans.count
        return report
    }
}
