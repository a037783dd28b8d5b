import Foundation
import StorageCore

/// The store's read-only connections, kept for reuse: a read takes an idle one (or opens another) and
/// gives it back. Blocks on SQLite: the store calls it on the `BlockingPool`.
final class ReaderConnections: @unchecked Sendable {
    private let path: String
    private let offPoolCalls: OffPoolCalls
    private var idle: [SQLiteConnection] = []
    private let lock = NSLock()

    init(path: String, offPoolCalls: OffPoolCalls) {
        self.path = path
        self.offPoolCalls = offPoolCalls
    }

    func with<T>(_ body: (SQLiteConnection) throws -> T) throws -> T {
        let conn = lock.withLock { idle.popLast() }
        let c = try conn ?? SQLiteConnection(path: path, readOnly: true, offPoolCalls: offPoolCalls)
        defer { lock.withLock { idle.append(c) } }
        return try body(c)
    }
}
