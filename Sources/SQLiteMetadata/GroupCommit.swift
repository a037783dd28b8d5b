import CSQLite
import Foundation
import StorageCore

/// Group commit for the one writer connection: concurrent writers queue their transaction bodies,
/// and whichever finds no commit in progress runs every queued body in one transaction and commits
/// once, so a batch costs one WAL fsync instead of one per writer. Each body runs in its own
/// savepoint: one that throws undoes only its own changes. Nobody returns before the commit that
/// holds their changes has returned (durable, with synchronous=FULL).
final class GroupCommit: @unchecked Sendable {
    private final class Job {
        let body: (SQLiteConnection) throws -> Void
        var error: (any Error)?
        var done = false
        init(_ body: @escaping (SQLiteConnection) throws -> Void) { self.body = body }
    }

    private let connection: SQLiteConnection
    private let condition = NSCondition()
    private var queue: [Job] = []
    private var committing = false
    /// Bodies per transaction at most, so one batch cannot hold the write lock for long.
    private let maxBatch = 256

    init(connection: SQLiteConnection) { self.connection = connection }

    /// Runs `body` in a write transaction; returns once that transaction has committed.
    func run(_ body: @escaping (SQLiteConnection) throws -> Void) throws {
        let job = Job(body)
        condition.lock()
        queue.append(job)
        while !job.done {
            if committing {
                condition.wait()
                continue
            }
            committing = true
            let batch = Array(queue.prefix(maxBatch))
            queue.removeFirst(batch.count)
            condition.unlock()
            commit(batch)
            condition.lock()
            committing = false
            condition.broadcast()
        }
        condition.unlock()
        if let error = job.error { throw error }
    }

    private func commit(_ batch: [Job]) {
        defer { for job in batch { job.done = true } }
        let c = connection
        do {
            try c.exec("BEGIN IMMEDIATE")
        } catch {
            for job in batch { job.error = error }
            return
        }
        if batch.count == 1 {
            // Alone: no savepoint needed, the transaction is the job's.
            do { try batch[0].body(c) } catch { batch[0].error = error; try? c.exec("ROLLBACK"); return }
        } else {
            for job in batch {
                do {
                    try c.query("SAVEPOINT job")
                    do {
                        try job.body(c)
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
