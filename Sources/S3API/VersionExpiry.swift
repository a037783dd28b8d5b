import Foundation
import S3XML
import StorageCore

/// Which versions a bucket's lifecycle rules expire, as S3 defines the actions, decided over the bucket's
/// versions in ListObjectVersions order (key ascending, newest first) one page at a time. Pure: the rules,
/// the pages and `now` give the decisions; nothing is read or changed here (the sweeper applies them with
/// `Storage.expire`, which re-checks each in its transaction).
///
/// - Expiration Days / Date: a current version (not a delete marker) whose creation plus Days, rounded up
///   to the next midnight UTC, has passed (or once Date has come) is expired: deleted in an unversioned
///   bucket, given a delete marker in a versioned one.
/// - ExpiredObjectDeleteMarker: a delete marker that is the latest and the key's only remaining version is
///   removed. Days and Date also remove such a marker once it is old enough (S3's rule).
/// - NoncurrentVersionExpiration: a noncurrent version expires NoncurrentDays (rounded up the same way)
///   after it became noncurrent, i.e. after its successor (the next newer version or marker) was written;
///   the newest NewerNoncurrentVersions noncurrent versions of the key are kept. Noncurrent delete markers
///   expire the same way and are not counted among the versions kept.
/// - A rule applies to a version its filter matches (`LifecycleFilter`): the key within its prefix, every
///   tag of the filter on the version with the same value, the size within its strict bounds; all compared
///   as bytes or numbers. A delete marker has no tags and size 0. A page read without tags
///   (`ObjectVersionSummary.tags` nil) matches no rule that names tags. Of several rules, any that expires
///   a version expires it.
package struct VersionExpiry: Sendable {
    package let rules: [LifecycleRule]
    package let now: Date

    /// The key whose versions are being read (its bytes) and what was seen of it so far.
    private var key: [UInt8]?
    /// lastModified of the entry just read: the successor of the next entry of the same key.
    private var successorModified: Date?
    /// Noncurrent versions (not markers) of the key read so far, newest first.
    private var noncurrentCount = 0
    /// The key's latest version, a delete marker that may be removed once no other version stays.
    private var pendingMarker: ObjectVersionSummary?
    /// Whether a version of the key other than the pending marker stays.
    private var othersStay = false

    /// `rules`: the bucket's rules; disabled ones and those without an expiry action are left out here.
    package init(rules: [LifecycleRule], now: Date) {
        self.rules = rules.filter { $0.enabled && $0.expiresVersions }
        self.now = now
    }

    /// Whether a rule names tags: the pages must then carry each version's tags (`scanVersions(withTags:)`).
    package var needsTags: Bool { rules.contains { !$0.filter.tags.isEmpty } }

    /// The decisions for the next page of versions (continuing where the previous page ended). A marker's
    /// decision waits for the end of its key, which may come with a later page or `finish()`.
    package mutating func decide(_ page: [ObjectVersionSummary]) -> [ExpiryDecision] {
        var decisions: [ExpiryDecision] = []
        for entry in page {
            let entryKey = Array(entry.key.utf8)
            if entryKey != key {
                endKey(into: &decisions)
                key = entryKey
            }
            let tags = entry.tags.map { $0.map { (key: $0.key, value: $0.value) } }
            let matching = rules.filter { $0.filter.matches(key: entry.key, size: entry.isDeleteMarker ? 0 : entry.size, tags: entry.isDeleteMarker ? [] : tags) }
            if entry.isLatest {
                if entry.isDeleteMarker {
                    if matching.contains(where: { $0.expiredObjectDeleteMarker || currentExpired(entry.lastModified, $0) }) {
                        pendingMarker = entry
                    }
                } else {
                    if matching.contains(where: { currentExpired(entry.lastModified, $0) }) {
                        decisions.append(ExpiryDecision(key: entry.key, version: entry.version, action: .expireCurrent))
                    }
                }
            } else {
                let newer = noncurrentCount
                if !entry.isDeleteMarker { noncurrentCount += 1 }
                let expires = successorModified.map { since in
                    matching.contains { rule in
                        guard let days = rule.noncurrentDays else { return false }
                        return (entry.isDeleteMarker || newer >= (rule.newerNoncurrentVersions ?? 0))
                            && now >= Self.expiry(from: since, days: days)
                    }
                } ?? false
                if expires {
                    decisions.append(ExpiryDecision(key: entry.key, version: entry.version, action: .removeNoncurrent))
                } else {
                    othersStay = true
                }
            }
            successorModified = entry.lastModified
        }
        return decisions
    }

    /// The decision left for the last key read, once there are no more pages.
    package mutating func finish() -> [ExpiryDecision] {
        var decisions: [ExpiryDecision] = []
        endKey(into: &decisions)
        key = nil
        return decisions
    }

    private mutating func endKey(into decisions: inout [ExpiryDecision]) {
        if let marker = pendingMarker, !othersStay {
            decisions.append(ExpiryDecision(key: marker.key, version: marker.version, action: .removeDeleteMarker))
        }
        (successorModified, noncurrentCount, pendingMarker, othersStay) = (nil, 0, nil, false)
    }

    /// Whether Expiration (Days or Date) of `rule` has come for a version written at `modified`.
    private func currentExpired(_ modified: Date, _ rule: LifecycleRule) -> Bool {
        if let days = rule.expirationDays, now >= Self.expiry(from: modified, days: days) { return true }
        if let date = rule.expirationDate, now.timeIntervalSince1970 >= Double(date) { return true }
        return false
    }

    /// `start` plus `days`, rounded up to the next midnight UTC (S3's rule; a midnight stays as it is).
    package static func expiry(from start: Date, days: Int) -> Date {
        let seconds = start.timeIntervalSince1970 + Double(days) * 86_400
        return Date(timeIntervalSince1970: (seconds / 86_400).rounded(.up) * 86_400)
    }
}
