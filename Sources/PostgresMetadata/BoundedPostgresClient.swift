import Foundation
import Logging
import NIOCore
import PostgresNIO
import StorageCore

/// The connection pool, with every call bounded in time: a read or a transaction, including its wait for a
/// pooled connection, answers within `timeout` or throws `CoreError.metadataUnavailable` (S3's 503
/// ServiceUnavailable), as does a call that finds the database unreachable, restarting or shutting down.
///
/// Why a bound of our own: `PostgresClient` queues a request for a connection while it cannot make one, and
/// keeps it queued until a connection is made or its circuit breaker trips (60 s of failed attempts with no
/// open connection); a query on a connection whose server went silent waits for TCP to give up. Neither is
/// a bound a client of S3 can wait on.
///
/// A timed-out call is not waited for: its work goes on in a task of its own, which the timeout cancels (a
/// wait for a connection ends at once) and whose connection it closes (a query in flight fails at once; the
/// pool replaces the connection). What it leaves done:
/// - a read: nothing;
/// - a transaction timed out before its COMMIT was sent: never commits (it checks, under the call's lock,
///   that the call was not abandoned before it sends COMMIT) and the server rolls it back;
/// - a transaction timed out, or cut off, after its COMMIT was sent: may have committed. The error says so
///   (`outcomeUnknown`), and the storage core then keeps the blobs the write would have referenced (the
///   unreferenced-blob sweep removes them if it did not commit).
///
/// Recovery: the pool makes connections again by itself once the database is back, but it waits between
/// attempts 100 ms × 1.25^attempts (jittered, at most 60 s), so after an outage of a few minutes its next
/// attempt may be a minute away. So once calls have been failing for `reviveAfter` with none answered in
/// between, a probe connects on its own every second; when it gets through, the pool is
/// replaced by a fresh one (the old one is shut down: the calls it still held fail with 503) and calls
/// succeed again within about a second of the database's return. While the probe runs, calls fail at
/// once (the pool would only hold them until the bound).
///
/// Error descriptions: postgres-nio's errors describe themselves generically; what is logged here is their
/// reflection, which names the failing query and the server's message, never the connection's password
/// (it is not part of any error postgres-nio builds).
final class BoundedPostgresClient: @unchecked Sendable {
    let timeout: Duration
    let logger: Logger
    /// Calls failing for this long with no answer in between start the probe.
    let reviveAfter: Duration
    private let configuration: PostgresClient.Configuration
    /// Opens a connection of its own to the database (the probe closes it at once).
    private let probe: @Sendable () async throws -> PostgresConnection

    private struct Pool {
        var client: PostgresClient
        var run: Task<Void, Never>
    }

    private let lock = NSLock()
    private var pool: Pool
    /// Calls the database answered (successes, and errors about the call itself); when calls began failing.
    private var answers: UInt64 = 0
    private var failingSince: ContinuousClock.Instant?
    private var probing = false
    private var closed = false

    private init(pool: Pool, configuration: PostgresClient.Configuration, timeout: Duration,
                 probe: @escaping @Sendable () async throws -> PostgresConnection, logger: Logger) {
        self.pool = pool
        self.configuration = configuration
        self.timeout = timeout
        self.reviveAfter = max(timeout, .seconds(3))
        self.probe = probe
        self.logger = logger
    }

    /// A pool of connections made with `configuration`, serving once this returns.
    static func start(configuration: PostgresClient.Configuration, timeout: Duration,
                      probe: @escaping @Sendable () async throws -> PostgresConnection, logger: Logger) async -> BoundedPostgresClient {
        BoundedPostgresClient(pool: await startPool(configuration, logger: logger), configuration: configuration, timeout: timeout,
                              probe: probe, logger: logger)
    }

    /// The pool serves only while run() runs: it is started before the first query (which would warn otherwise).
    private static func startPool(_ configuration: PostgresClient.Configuration, logger: Logger) async -> Pool {
        let client = PostgresClient(configuration: configuration, backgroundLogger: logger)
        let (started, signal) = AsyncStream<Void>.makeStream()
        let run = Task {
            signal.finish()
            await client.run()
        }
        for await _ in started {}
        await Task.yield()
        return Pool(client: client, run: run)
    }

    /// Shuts the pool down; calls fail afterwards.
    func close() {
        let run: Task<Void, Never> = lock.withLock {
            closed = true
            return pool.run
        }
        run.cancel()
    }

    private var client: PostgresClient { lock.withLock { pool.client } }

    private func answered() {
        lock.withLock {
            answers &+= 1
            failingSince = nil
        }
    }

    /// A call found the database unavailable: starts the probe once calls have been failing for
    /// `reviveAfter` with none answered in between.
    private func unavailable() {
        let start: UInt64? = lock.withLock {
            let now = ContinuousClock.now
            guard let since = failingSince else {
                failingSince = now
                return nil
            }
            guard !closed, !probing, since.duration(to: now) >= reviveAfter else { return nil }
            probing = true
            return answers
        }
        guard let start else { return }
        Task.detached { [self] in await revive(answersBefore: start) }
    }

    /// Connects every second until the database answers, then replaces the pool, unless the pool answered
    /// a call meanwhile (it recovered by itself) or the store was closed.
    private func revive(answersBefore start: UInt64) async {
        defer { lock.withLock { probing = false } }
        logger.info("metadata store unavailable: probing the database every second")
        while true {
            try? await Task.sleep(for: .seconds(1))
            let (done, recovered) = lock.withLock { (closed, answers != start) }
            if done || recovered { return }
            let probe = self.probe, timeout = self.timeout
            let reached = await withTaskGroup(of: Bool.self) { group in
                group.addTask {
                    guard let connection = try? await probe() else { return false }
                    try? await connection.close()
                    return true
                }
                group.addTask {   // a host that accepts and never answers must not stall the probe
                    try? await Task.sleep(for: timeout)
                    return false
                }
                let first = await group.next() ?? false
                group.cancelAll()
                return first
            }
            guard reached else { continue }
            let fresh = await Self.startPool(configuration, logger: logger)
            let old: Pool? = lock.withLock {
                guard !closed, answers == start else { return nil }
                defer { pool = fresh }
                return pool
            }
            guard let old else {
                fresh.run.cancel()
                return
            }
            old.run.cancel()
            logger.info("the database answers again: metadata connection pool replaced")
            return
        }
    }

    /// All rows of one statement (one statement: one snapshot).
    func rows(_ query: PostgresQuery) async throws -> [PostgresRow] {
        try await bounded { [client, logger] call in
            try await client.withConnection { c in
                try call.attach(c)
                return try await c.query(query, logger: logger).collect()
            }
        }
    }

    /// Runs `body` in a transaction on one pooled connection: committed when it returns, rolled back when
    /// it throws (its error is rethrown as it is). A deadlock or serialization failure runs it again, within
    /// the same bound.
    func transaction<T: Sendable>(_ body: @escaping @Sendable (PostgresConnection) async throws -> T) async throws -> T {
        try await bounded { [client, logger] call in
            var attempt = 1
            while true {
                do {
                    return try await client.withConnection { c in
                        try call.attach(c)
                        try await c.query("BEGIN", logger: logger)
                        do {
                            let value = try await body(c)
                            try call.beginCommit()
                            try await c.query("COMMIT", logger: logger)
                            return value
                        } catch {
                            _ = try? await c.query("ROLLBACK", logger: logger)
                            throw error
                        }
                    }
                } catch let e as PSQLError where attempt < 10 && Self.isRetryable(e) {
                    // A server error answering COMMIT means it rolled back: nothing is pending.
                    call.rolledBack()
                    attempt += 1
                    logger.debug("metadata transaction retried", metadata: ["sqlState": "\(e.serverInfo?[.sqlState] ?? "")"])
                }
            }
        }
    }

    private static func isRetryable(_ e: PSQLError) -> Bool {
        guard let state = e.serverInfo?[.sqlState] else { return false }
        return state == "40P01" || state == "40001"   // deadlock_detected, serialization_failure
    }

    /// Runs `work` in a task of its own and answers with its result, or with `metadataUnavailable` once
    /// `timeout` has passed (abandoning the work as described above).
    private func bounded<T: Sendable>(_ work: @escaping @Sendable (BoundedCall) async throws -> T) async throws -> T {
        // While the probe has not got through, the pool would only queue the call until the bound: fail at once.
        if lock.withLock({ probing }) { throw CoreError.metadataUnavailable() }
        let call = BoundedCall()
        let answer = FirstAnswer<T>()
        let timeout = self.timeout
        var timer: Task<Void, Never>?
        let result: Result<T, any Error> = await withCheckedContinuation { continuation in
            answer.set(continuation)
            let worker = Task {
                do { answer.give(.success(try await work(call))) } catch { answer.give(.failure(error)) }
            }
            timer = Task {
                try? await Task.sleep(for: timeout)
                guard !Task.isCancelled, !answer.isGiven else { return }
                let (phase, connection) = call.abandon()
                answer.give(.failure(TimedOut(commitSent: phase == .committing)))
                worker.cancel()   // a wait for a connection ends
                if let connection {
                    let closed: EventLoopFuture<Void> = connection.close()   // a query in flight fails; the pool replaces it
                    closed.whenComplete { _ in }
                }
            }
        }
        timer?.cancel()
        switch result {
        case .success(let value):
            answered()
            return value
        case .failure(let timedOut as TimedOut):
            unavailable()
            logger.warning("metadata call timed out", metadata: ["timeout": "\(timeout)", "commitSent": "\(timedOut.commitSent)"])
            throw CoreError.metadataUnavailable(outcomeUnknown: timedOut.commitSent)
        case .failure(let error):
            guard Self.meansUnavailable(error) else {
                answered()
                throw error
            }
            unavailable()
            let commitSent = call.phase == .committing
            logger.warning("metadata store unavailable", metadata: ["error": "\(String(reflecting: error))", "commitSent": "\(commitSent)"])
            throw CoreError.metadataUnavailable(outcomeUnknown: commitSent)
        }
    }

    /// Whether `error` says the database could not be used (unreachable, restarting, shutting down, refusing
    /// us), rather than that the call itself was wrong: what the store's own code throws (CoreError,
    /// corrupt rows) and the server's answers about the statement stay as they are.
    static func meansUnavailable(_ error: any Error) -> Bool {
        switch error {
        case is CoreError, is PostgresMetadataError, is PostgresDecodingError:
            return false
        case let e as PSQLError:
            switch e.code {
            case .server:
                // 08 connection exception, 28 authorization, 53 insufficient resources (too many
                // connections), 57 operator intervention (shutdown, starting up), 58 system error.
                let state = e.serverInfo?[.sqlState] ?? ""
                return ["08", "28", "53", "57", "58"].contains(String(state.prefix(2)))
            case .tooManyParameters, .invalidCommandTag, .messageDecodingFailure, .unexpectedBackendMessage:
                return false
            default:
                return true   // connection closed or failed, pool closed, cancelled, TLS or authentication failures
            }
        default:
            return true   // the pool's (circuit breaker) and the network's errors, a cancelled wait
        }
    }

    private struct TimedOut: Error {
        var commitSent: Bool
    }
}
