import Foundation

/// Object versions being read right now. The garbage collector skips their blobs, so an
/// overwrite or delete never pulls a file out from under a GET that already started.
///
/// Versions the collector had to skip are remembered, and only their last release starts another
/// pass: a GET of an object nobody replaced releases its lease without waking the collector.
final class ReadLeases: @unchecked Sendable {
    private var counts: [Int64: Int] = [:]
    /// Leased versions with garbage waiting for their release.
    private var awaited: Set<Int64> = []
    private let lock = NSLock()

    func acquire(_ version: Int64) {
        lock.lock(); counts[version, default: 0] += 1; lock.unlock()
    }

    /// true when this was the last lease of a version whose garbage the collector skipped: a pass
    /// should run now.
    func release(_ version: Int64) -> Bool {
        lock.withLock {
            guard let n = counts[version] else { return false }
            if n > 1 {
                counts[version] = n - 1
                return false
            }
            counts[version] = nil
            return awaited.remove(version) != nil
        }
    }

    /// For the collector, in one step with `release`: false when `version` is not being read (its
    /// blobs may go now); true when it is, and then its last release reports that a pass is due.
    func skipIfLeased(_ version: Int64) -> Bool {
        lock.withLock {
            guard counts[version] != nil else { return false }
            awaited.insert(version)
            return true
        }
    }
}
