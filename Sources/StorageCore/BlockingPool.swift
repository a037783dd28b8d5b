import NIOCore
import NIOPosix
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The one place where blocking work runs: SQLite calls, file reads and writes, fsync, renames,
/// directory scans. Swift's cooperative threads (in the daemon, NIO's event loops, installed as Swift's
/// executor) are one per core and serve every connection: one of them waiting on a disk stalls them all.
/// A task that hands work to the pool waits for it without holding a thread.
///
/// One pool per process, over NIO's `NIOThreadPool`: made (and started) where the stores are opened
/// (`Daemon.run`, the admin commands), shut down when the process is done with them. It has more
/// threads than cores because its threads mostly wait: fsync-heavy writes keep several of them parked
/// in the kernel at once.
public final class BlockingPool: Sendable {
    private let threads: NIOThreadPool
    public let threadCount: Int

    /// Twice the cores, at least four.
    public static var defaultThreadCount: Int { max(4, System.coreCount * 2) }

    public init(threadCount: Int = BlockingPool.defaultThreadCount) {
        precondition(threadCount > 0, "a blocking pool needs a thread")
        self.threadCount = threadCount
        threads = NIOThreadPool(numberOfThreads: threadCount)
        threads.start()
    }

    /// A pool nobody shut down stops its threads when the last store lets go of it.
    deinit { threads.shutdownGracefully { _ in } }

    /// Runs `work` on one of the pool's threads and returns its result. Work once handed over runs to
    /// the end even if the waiting task is cancelled (a write is never left half-done by a cancellation).
    public func run<T: Sendable>(_ work: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<T, any Error>) in
            submit(whenStopped: { continuation.resume(throwing: BlockingPoolStopped()) }) {
                continuation.resume(with: Result(catching: work))
            }
        }
    }

    /// Queues `work` without waiting for it. If the pool is shut down before `work` starts,
    /// `whenStopped` runs instead (on whichever thread finds out).
    public func submit(whenStopped: @escaping @Sendable () -> Void = {}, _ work: @escaping @Sendable () -> Void) {
        threads.submit { state in
            guard case .active = state else { whenStopped(); return }
            PoolThreadMark.set()
            work()
        }
    }

    /// Lets running work finish and stops the threads. Work still queued, or handed over afterwards,
    /// fails with `BlockingPoolStopped` (a submitted item gets its `whenStopped`).
    public func shutdown() async throws {
        try await threads.shutdownGracefully()
    }

    /// Whether the calling thread belongs to a `BlockingPool` (one that has run work).
    public static var isCurrentThreadPooled: Bool { PoolThreadMark.isSet }
}

/// Work handed to a pool that was shut down.
public struct BlockingPoolStopped: Error, CustomStringConvertible {
    public init() {}
    public var description: String { "the blocking pool has been shut down" }
}

/// A thread-specific flag that a pool's threads raise before their first piece of work.
private enum PoolThreadMark {
    static let key: pthread_key_t = {
        var key = pthread_key_t()
        precondition(pthread_key_create(&key, nil) == 0, "pthread_key_create")
        return key
    }()

    static func set() {
        if pthread_getspecific(key) == nil { pthread_setspecific(key, UnsafeRawPointer(bitPattern: 1)) }
    }

    static var isSet: Bool { pthread_getspecific(key) != nil }
}
