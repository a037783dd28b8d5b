import Foundation
import S3API
import S3XML
import StorageCore

/// Enforces a bucket's lifecycle expiry rules (Expiration, ExpiredObjectDeleteMarker,
/// NoncurrentVersionExpiration): reads the bucket's versions in pages of `pageSize` (never all of them in
/// memory; with each version's tags only when a rule filters on tags, read in the same query as the page
/// rather than one lookup per candidate), lets `VersionExpiry` decide, and applies each decision with `Storage.expire`, which re-checks
/// it in its own transaction (a version written or deleted meanwhile is left alone). Freed blobs go to the
/// garbage collector as any delete's do.
struct VersionExpirySweep {
    let storage: Storage
    var pageSize = 1000

    /// What one pass removed.
    struct Removed: Equatable {
        /// Current versions expired (deleted, or given a delete marker).
        var expired = 0
        var noncurrentVersions = 0
        var deleteMarkers = 0
        /// Versions due to expire but kept by Object Lock (retention or legal hold): not removed, not in `total`.
        var locked = 0
        var total: Int { expired + noncurrentVersions + deleteMarkers }

        mutating func add(_ other: Removed) {
            locked += other.locked
            expired += other.expired; noncurrentVersions += other.noncurrentVersions; deleteMarkers += other.deleteMarkers
        }
    }

    func run(bucket: String, rules: [LifecycleRule], now: Date) async throws -> Removed {
        var expiry = VersionExpiry(rules: rules, now: now)
        var removed = Removed()
        guard !expiry.rules.isEmpty else { return removed }
        let prefix = Self.commonPrefix(expiry.rules.map { Array($0.prefix.utf8) })
        var start: ScanStart?
        while true {
            let page = try await storage.metadata.scanVersions(bucket: bucket, prefix: prefix, start: start, limit: pageSize,
                                                               withTags: expiry.needsTags)
            try await apply(expiry.decide(page), bucket: bucket, to: &removed)
            guard page.count == pageSize, let last = page.last else { break }
            start = .afterVersion(key: Array(last.key.utf8), version: last.version)
        }
        try await apply(expiry.finish(), bucket: bucket, to: &removed)
        return removed
    }

    private func apply(_ decisions: [ExpiryDecision], bucket: String, to removed: inout Removed) async throws {
        for d in decisions {
            let done: ObjectRecord?
            do {
                done = try await storage.expire(bucket: bucket, key: d.key, version: d.version, action: d.action)
            } catch let e as CoreError where e.code == "AccessDenied" {
                removed.locked += 1   // under Object Lock retention or legal hold: kept, as S3's lifecycle keeps it
                continue
            }
            guard done != nil else { continue }
            switch d.action {
            case .expireCurrent: removed.expired += 1
            case .removeNoncurrent: removed.noncurrentVersions += 1
            case .removeDeleteMarker: removed.deleteMarkers += 1
            }
        }
    }

    /// The longest byte string every prefix starts with: the one range of keys the rules can touch.
    static func commonPrefix(_ prefixes: [[UInt8]]) -> [UInt8] {
        guard var common = prefixes.first else { return [] }
        for p in prefixes.dropFirst() {
            let n = zip(common, p).prefix { $0 == $1 }.count
            common = Array(common.prefix(n))
        }
        return common
    }
}
