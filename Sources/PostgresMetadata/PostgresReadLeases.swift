import Foundation
import Logging
import PostgresNIO
import StorageCore

/// Read leases that every process on the database sees: one row of `read_leases` per (process, version)
/// leased here, with an expiry that this process pushes forward while it holds the lease, so a crashed
/// gateway's leases lapse on their own (after `ttl`).
///
/// The count of readers per version is kept in this process's memory; only a version's first reader
/// writes its row (and waits for it: the read is protected once `acquire` returns), and its last reader
/// deletes it, in the background (`release` must not block). Each row carries the generation of the
/// local entry that wrote it, so a late delete never removes the row of a newer lease on the version.
///
/// `skipIfLeased` answers from memory for this process's leases and asks the table for other
/// processes' (ignoring this process's rows, which may lag behind its memory). `release` reports the
/// last release of a version the collector skipped as SQLite's does, for this process's readers; garbage
/// skipped for another process's reader waits for this process's next pass (any overwrite, delete,
/// completion, or the start-up sweep), since that release happens elsewhere.
final class PostgresReadLeases: ReadLeases, @unchecked Sendable {
    private struct Entry {
        var count: Int
        var generation: Int64
        /// Writes the row; every acquirer of the entry waits for it.
        var registered: Task<Void, any Error>
    }

    let holder = UUID()
    let ttl: Duration
    private let client: BoundedPostgresClient
    private let logger: Logger
    private let lock = NSLock()
    private var entries: [Int64: Entry] = [:]
    private var awaited: Set<Int64> = []
    private var generation: Int64 = 0
    private var refresher: Task<Void, Never>?

    init(client: BoundedPostgresClient, logger: Logger, ttl: Duration) {
        self.client = client
        self.logger = logger
        self.ttl = ttl
    }

    private var ttlSeconds: Double {
        let c = ttl.components
        return Double(c.seconds) + Double(c.attoseconds) / 1e18
    }

    /// Keeps this process's rows alive: every third of `ttl`, pushes their expiry forward, and removes
    /// rows that lapsed long ago (crashed processes').
    func startRefreshing() {
        let interval = ttl / 3
        let task = Task.detached { [weak self] in
            while !Task.isCancelled {
                try? await Task.sleep(for: interval)
                guard let self, !Task.isCancelled else { return }
                do {
                    _ = try await self.client.rows("""
                        UPDATE read_leases SET expires_at = now() + make_interval(secs => \(self.ttlSeconds))
                        WHERE holder = \(self.holder)
                        """)
                    _ = try await self.client.rows("DELETE FROM read_leases WHERE expires_at < now() - interval '1 hour'")
                } catch {
                    self.logger.warning("could not refresh read leases", metadata: ["error": "\(String(reflecting: error))"])
                }
            }
        }
        lock.withLock { refresher = task }
    }

    func stopRefreshing() { lock.withLock { refresher }?.cancel() }

    /// Stops refreshing and removes this process's rows (best effort: they lapse anyway).
    func stop() async {
        stopRefreshing()
        _ = try? await client.rows("DELETE FROM read_leases WHERE holder = \(holder)")
    }

    deinit { lock.withLock { refresher }?.cancel() }

    func acquire(_ version: Int64) async throws {
        let registered: Task<Void, any Error> = lock.withLock {
            if var e = entries[version] {
                e.count += 1
                entries[version] = e
                return e.registered
            }
            generation += 1
            let g = generation
            let t = Task<Void, any Error> { [client, holder, ttlSeconds] in
                _ = try await client.rows("""
                    INSERT INTO read_leases(holder, version, generation, expires_at)
                    VALUES(\(holder), \(version), \(g), now() + make_interval(secs => \(ttlSeconds)))
                    ON CONFLICT (holder, version) DO UPDATE SET generation = EXCLUDED.generation, expires_at = EXCLUDED.expires_at
                    """)
            }
            entries[version] = Entry(count: 1, generation: g, registered: t)
            return t
        }
        do {
            try await registered.value
        } catch {
            _ = release(version)
            throw error
        }
    }

    func release(_ version: Int64) -> Bool {
        let (last, generation): (Bool, Int64?) = lock.withLock {
            guard var e = entries[version] else { return (false, nil) }
            if e.count > 1 {
                e.count -= 1
                entries[version] = e
                return (false, nil)
            }
            entries[version] = nil
            return (awaited.remove(version) != nil, e.generation)
        }
        if let generation {
            Task { [client, holder, logger] in
                do {
                    _ = try await client.rows(
                        "DELETE FROM read_leases WHERE holder = \(holder) AND version = \(version) AND generation = \(generation)")
                } catch {
                    logger.debug("read lease release failed (it lapses)", metadata: ["error": "\(String(reflecting: error))"])
                }
            }
        }
        return last
    }

    func skipIfLeased(_ version: Int64) async throws -> Bool {
        let local: Bool = lock.withLock {
            guard entries[version] != nil else { return false }
            awaited.insert(version)
            return true
        }
        if local { return true }
        let rows = try await client.rows("""
            SELECT 1 FROM read_leases WHERE version = \(version) AND holder <> \(holder) AND expires_at > now() LIMIT 1
            """)
        return !rows.isEmpty
    }
}
