import Foundation
import StorageCore

/// Each bucket's owner and ACL, read from the metadata store at most once a second per bucket (they are
/// needed by every request). A change made through this gateway is seen at once (`forget`); one made
/// through another gateway over the same store within `freshness`. Buckets that do not exist are not
/// remembered, so a bucket another gateway creates is usable at once. Bounded: emptied when full.
final class BucketAccessCache: @unchecked Sendable {
    private let lock = NSLock()
    private var entries: [String: (access: BucketAccess, read: ContinuousClock.Instant)] = [:]
    let freshness: Duration
    let limit: Int

    init(freshness: Duration = .seconds(1), limit: Int = 10_000) {
        self.freshness = freshness
        self.limit = limit
    }

    /// The bucket's access as remembered, if read less than `freshness` ago.
    func lookup(_ bucket: String) -> BucketAccess? {
        lock.withLock {
            guard let e = entries[bucket], e.read.duration(to: .now) < freshness else { return nil }
            return e.access
        }
    }

    /// Remembers what was read at `read` (taken before the read began, so a slow read is not kept too long).
    func store(_ access: BucketAccess, for bucket: String, read: ContinuousClock.Instant) {
        lock.withLock {
            if entries.count >= limit { entries.removeAll(keepingCapacity: true) }
            entries[bucket] = (access, read)
        }
    }

    func forget(_ bucket: String) { _ = lock.withLock { entries.removeValue(forKey: bucket) } }
}
