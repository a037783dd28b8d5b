import Foundation

/// Read leases in this process's memory: right for a store that one process serves (the embedded
/// SQLite store, see docs/architecture.md "What assumes one process"), wrong for a shared one.
///
/// Versions the collector had to skip are remembered, and only their last release starts another
/// pass: a GET of an object nobody replaced releases its lease without waking the collector.
public final class LocalReadLeases: ReadLeases, @unchecked Sendable {
    private var counts: [Int64: Int] = [:]
    /// Leased versions with garbage waiting for their release.
    private var awaited: Set<Int64> = []
    private let lock = NSLock()

    public init() {}

    public func acquire(_ version: Int64) {
        lock.lock(); counts[version, default: 0] += 1; lock.unlock()
    }

    /// true when this was the last lease of a version whose garbage the collector skipped: a pass
    /// should run now.
    public func release(_ version: Int64) -> Bool {
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
    public func skipIfLeased(_ version: Int64) -> Bool {
        lock.withLock {
            guard counts[version] != nil else { return false }
            awaited.insert(version)
            return true
        }
    }
}
