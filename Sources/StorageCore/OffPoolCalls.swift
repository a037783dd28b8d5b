import Foundation

/// Blocking calls a store made on a thread that is not a `BlockingPool`'s, noted in debug builds so
/// that tests can show there were none (SQLite statements, file system calls). Release builds note
/// nothing.
public final class OffPoolCalls: @unchecked Sendable {
    private let lock = NSLock()
    private var noted: [String] = []
    private var total = 0

    public init() {}

    /// Notes `what` when the calling thread is not a pool thread (debug builds only).
    public func check(_ what: @autoclosure () -> String) {
        #if DEBUG
        guard !BlockingPool.isCurrentThreadPooled else { return }
        let description = what()
        lock.withLock {
            total += 1
            if noted.count < 20 { noted.append(description) }
        }
        #endif
    }

    /// How many calls ran off the pool, and the first few of them.
    public var calls: (count: Int, first: [String]) { lock.withLock { (total, noted) } }
}
