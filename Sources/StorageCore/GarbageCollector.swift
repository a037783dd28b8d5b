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
            let entries = try await blocking { [metadata] in try metadata.garbage(limit: 1000) }
            let free = entries.filter { !leases.skipIfLeased($0.version) }
            if free.isEmpty { return deleted }
            try await blocking { [blobs, metadata] in
                for e in free { try blobs.delete(e.blob) }
                try metadata.forgetGarbage(free.map(\.blob))
            }
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
        report.temporariesRemoved = try blobs.sweepTemporaries()
        report.garbageDeleted = try await collectGarbageNow()
        let (metadata, blobs) = (self.metadata, self.blobs)
        report.orphansDeleted = try await blocking {
            var orphans: [BlobID] = []
            var scanned = 0
            try blobs.forEachBlob(modifiedBefore: startedAt) { id in
                if try !metadata.references(blob: id) { orphans.append(id) }
                scanned += 1
                progress?.update("\(scanned) blobs checked, \(orphans.count) unreferenced")
            }
            for id in orphans { try blobs.delete(id) }
            progress?.finish("\(scanned) blobs checked, \(orphans.count) unreferenced removed")
            return orphans.count
        }
        return report
    }
}
