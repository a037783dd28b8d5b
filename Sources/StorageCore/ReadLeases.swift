import Foundation

/// Object versions being read right now. The garbage collector skips their blobs, so an
/// overwrite or delete never pulls a file out from under a GET that already started.
final class ReadLeases: @unchecked Sendable {
    private var counts: [Int64: Int] = [:]
    private let lock = NSLock()

    func acquire(_ version: Int64) {
        lock.lock(); counts[version, default: 0] += 1; lock.unlock()
    }

    func release(_ version: Int64) {
        lock.lock()
        if let n = counts[version] { counts[version] = n > 1 ? n - 1 : nil }
        lock.unlock()
    }

    func isLeased(_ version: Int64) -> Bool {
        lock.lock(); defer { lock.unlock() }
        return counts[version] != nil
    }
}
