import CSQLite
import Foundation
import StorageCore

/// Group commit for the one writer connection: writers queue their transaction bodies, and one
/// committer, on a `BlockingPool` thread, runs every body waiting in one transaction and commits once,
/// so a batch costs one WAL fsync instead of one per writer. Each body runs in its own savepoint: one
/// that throws undoes only its own changes. Nobody is answered before the commit that holds their
/// changes has returned (durable, with synchronous=FULL).
///
/// Writers come in through `submit`: a continuation, resumed by the committer, so no thread is parked
/// per writer. (The first version had every writer's GCD thread wait on a condition for a leader's
/// commit: about 5.5 futex calls and several thread switches per small PUT.) The committer holds a pool
/// thread only while there are batches to commit.
final class GroupCommit: @unchecked Sendable {
    private final class Job {
        /// Dropped before `finished` runs, so nothing a body captured outlives its transaction.
        var body: ((SQLiteConnection) throws -> Void)?
        let finished: ((any Error)?) -> Void
        var error: (any Error)?
        init(_ body: @escaping (SQLiteConnection) throws -> Void, finished: @escaping ((any Error)?) -> Void) {
            self.body = body; self.finished = finished
        }
    }

    private let connection: SQLiteConnection
    private let pool: BlockingPool
    private let lock = NSLock()
    private var queue: [Job] = []
    private var draining = false
    /// Bodies per transaction at most, so one batch cannot hold the write lock for long.
    private let maxBatch = 256
    /// Run on the committer after each batch's COMMIT (or failure), before anyone in it is answered.
    var afterCommit: (() -> Void)?

    init(connection: SQLiteConnection, pool: BlockingPool) {
        self.connection = connection
        self.pool = pool
    }

    /// Runs `body` in a write transaction; returns once that transaction has committed.
    func submit(_ body: @escaping (SQLiteConnection) throws -> Void) async throws {
        try await withCheckedThrowingContinuation { (c: CheckedContinuation<Void, any Error>) in
            enqueue(Job(body) { error in
                if let error { c.resume(throwing: error) } else { c.resume() }
            })
        }
    }

    private func enqueue(_ job: Job) {
        let start = lock.withLock {
            queue.append(job)
            if draining { return false }
            draining = true
            return true
        }
        if start { pool.submit(whenStopped: { self.failQueued(BlockingPoolStopped()) }) { self.drain() } }
    }

    /// The pool is gone: nobody queued will be committed.
    private func failQueued(_ error: any Error) {
        let jobs: [Job] = lock.withLock {
            let all = queue
            queue = []
            draining = false
            return all
        }
        for job in jobs {
            job.body = nil
            job.finished(error)
        }
    }

    /// On a pool thread, one at a time: commits batches until nobody waits.
    private func drain() {
        while true {
            let batch: [Job] = lock.withLock {
                let b = Array(queue.prefix(maxBatch))
                queue.removeFirst(b.count)
                if b.isEmpty { draining = false }
                return b
            }
            if batch.isEmpty { return }
            commit(batch)
            afterCommit?()
            for job in batch {
                job.body = nil
                job.finished(job.error)
            }
        }
    }

    private func commit(_ batch: [Job]) {
        let c = connection
        do {
            try c.exec("BEGIN IMMEDIATE")
        } catch {
            for job in batch { job.error = error }
            return
        }
        if batch.count == 1 {
            // Alone: no savepoint needed, the transaction is the job's.
            do { try batch[0].body!(c) } catch { batch[0].error = error; try? c.exec("ROLLBACK"); return }
        } else {
            for job in batch {
                do {
                    try c.query("SAVEPOINT job")
                    do {
                        try job.body!(c)
                        try c.query("RELEASE job")
                    } catch {
                        job.error = error
                        try c.query("ROLLBACK TO job")
                        try c.query("RELEASE job")
                    }
                    // Some errors (disk full, I/O) make SQLite roll the whole transaction back by itself.
                    if sqlite3_get_autocommit(c.db) != 0 { throw job.error ?? CoreError.internalError("metadata: transaction rolled back") }
                } catch {
                    // The transaction itself failed (e.g. disk full rolls it back): nobody's changes stand.
                    for j in batch where j.error == nil { j.error = error }
                    try? c.exec("ROLLBACK")
                    return
                }
            }
        }
        do {
            try c.exec("COMMIT")
        } catch {
            for job in batch where job.error == nil { job.error = error }
            try? c.exec("ROLLBACK")
        }
    }
}
