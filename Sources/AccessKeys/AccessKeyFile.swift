import Foundation
import Logging
import StorageCore
#if canImport(Glibc)
import Glibc
#endif

/// An access key beside the daemon's own: optionally limited to some buckets, optionally read-only.
public struct AccessKeyRecord: Codable, Sendable, Equatable {
    public var accessKey: String
    public var secretKey: String
    /// nil: every bucket. Otherwise only these (and ListBuckets shows only these).
    public var buckets: [String]?
    /// Only GET and HEAD (and the JSON front ends' downloads).
    public var readOnly: Bool
    public var created: Date
    /// The user the key belongs to (`tessera keys create --user`); nil: the default user (keys made before users).
    public var user: String?

    /// Who requests signed with this key act as.
    public var owner: User { User(name: user ?? User.defaultName) }

    public func allows(bucket: String) -> Bool { buckets?.contains(bucket) ?? true }

    /// A fresh random pair (20-character ID, 40-character secret), as AWS shapes them.
    public static func generate(buckets: [String]?, readOnly: Bool, user: String? = nil) -> AccessKeyRecord {
        var g = SystemRandomNumberGenerator()
        let alnum = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789")
        let b64 = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/")
        let id = "TK" + String((0..<18).map { _ in alnum[Int(g.next() % UInt64(alnum.count))] })
        let secret = String((0..<40).map { _ in b64[Int(g.next() % UInt64(b64.count))] })
        return AccessKeyRecord(accessKey: id, secretKey: secret, buckets: buckets, readOnly: readOnly, created: Date(), user: user)
    }
}

/// The keys file, `<data-dir>/keys.json` (mode 0600): written by `tessera keys` with an exclusive
/// lock and an atomic, durable rename, re-read by a running daemon when it changes.
///
/// A file that is not the JSON `tessera keys` writes is refused, never read as empty or replaced:
/// `load` and `update` throw `Corrupt` (so `serve` does not start and `tessera keys` writes nothing);
/// a daemon whose file turns corrupt while it runs logs an error and keeps the keys it read before.
/// An absent file means no keys.
///
/// A daemon's requests read the keys from memory (`key(id:)`, `keys()`): the file is looked at (a
/// `stat`, and a read when it changed) only by `refresh`, on the blocking pool, never on an event loop:
/// it may sit on a network file system shared by several gateways. `KeyScopes` asks for a check in the
/// background at most once a second (so a deleted key stops working within about a second), and waits
/// for one that starts after a request named a key it does not know (so a new key works at once).
public final class AccessKeyFile: @unchecked Sendable {
    public let path: String
    private let logger: Logger?
    private let pool: BlockingPool?
    private let lock = NSLock()
    private var cached: [String: AccessKeyRecord] = [:]
    private var stamp: (mtime: timespec, size: off_t, ino: ino_t)?
    /// When the last finished check started; nil before the first.
    private var checkedFrom: ContinuousClock.Instant?
    /// The check under way, and when it started.
    private var running: (started: ContinuousClock.Instant, task: Task<Void, Never>)?

    /// `pool` runs the file checks; without one (commands, tests) they run on the caller's thread.
    public init(dataDir: String, logger: Logger? = nil, pool: BlockingPool? = nil) {
        path = dataDir + "/keys.json"
        self.logger = logger
        self.pool = pool
    }

    /// The keys file holds something other than the keys `tessera keys` writes.
    public struct Corrupt: Error, CustomStringConvertible {
        public let path: String
        public let reason: String
        public var description: String {
            "\(path) is not a valid keys file (\(reason)); fix it or move it away: it is never read as empty or replaced"
        }
    }

    /// The file's keys as they are now: none when it is absent; `Corrupt` when it cannot be read as keys.
    public func load() throws -> [AccessKeyRecord] {
        guard let data = FileManager.default.contents(atPath: path) else {
            if FileManager.default.fileExists(atPath: path) { throw Corrupt(path: path, reason: "cannot be read") }
            return []
        }
        let keys: [AccessKeyRecord]
        do {
            keys = try Self.decoder.decode([AccessKeyRecord].self, from: data)
        } catch {
            throw Corrupt(path: path, reason: "\(error)")
        }
        if let bad = keys.first(where: { $0.user.map { !User.isValidName($0) } ?? false }) {
            throw Corrupt(path: path, reason: "key \(bad.accessKey) names user \"\(bad.user ?? "")\", which is not a user name")
        }
        return keys
    }

    /// A key by its ID, from the keys last read successfully (memory only).
    public func key(id: String) -> AccessKeyRecord? { lock.withLock { cached[id] } }

    /// Every key, from the keys last read successfully (memory only).
    public func keys() -> [AccessKeyRecord] { lock.withLock { cached.values }.sorted { $0.accessKey < $1.accessKey } }

    /// Returns once a check of the file that started at or after `since` has finished: at once when one
    /// has; else it joins the check under way if that started late enough, or starts the next one.
    /// Concurrent callers share checks, and one check runs at a time.
    public func refresh(since: ContinuousClock.Instant) async {
        while let task = lock.withLock({ () -> Task<Void, Never>? in
            if let from = checkedFrom, from >= since { return nil }
            return running?.task ?? startCheck()
        }) {
            await task.value
        }
    }

    /// Starts a check in the background when none ran for `interval` and none is under way; never waits.
    public func refreshInBackground(every interval: Duration) {
        lock.withLock {
            guard running == nil else { return }
            if let from = checkedFrom, from.duration(to: .now) < interval { return }
            _ = startCheck()
        }
    }

    /// Under `lock`: the next check, recorded as running.
    private func startCheck() -> Task<Void, Never> {
        let started = ContinuousClock.now
        let task = Task { [self] in
            if let pool {
                _ = try? await pool.run { [self] in checkFile() }
            } else {
                checkFile()
            }
            lock.withLock {
                checkedFrom = started
                running = nil
            }
        }
        running = (started, task)
        return task
    }

    /// Re-reads the file when its inode, size or mtime changed; a corrupt new version is logged and the
    /// keys read before stay in force. Blocking: on the pool.
    private func checkFile() {
        var st = stat()
        guard stat(path, &st) == 0 else {
            lock.withLock { cached = [:]; stamp = nil }
            return
        }
        let unchanged = lock.withLock {
            guard let s = stamp else { return false }
            return s.mtime.tv_sec == st.st_mtim.tv_sec && s.mtime.tv_nsec == st.st_mtim.tv_nsec && s.size == st.st_size && s.ino == st.st_ino
        }
        if unchanged { return }
        do {
            let keys = Dictionary(try load().map { ($0.accessKey, $0) }, uniquingKeysWith: { a, _ in a })
            lock.withLock { cached = keys; stamp = (st.st_mtim, st.st_size, st.st_ino) }
        } catch {
            lock.withLock { stamp = (st.st_mtim, st.st_size, st.st_ino) }
            logger?.error("keys file refused; the keys read before stay in force", metadata: ["error": "\(error)"])
        }
    }

    /// Applies `change` to the file's keys under an exclusive lock, replacing the file atomically and
    /// durably (`DurableFile`: temporary file, fsync, rename, fsync of the directory).
    public func update(_ change: (inout [AccessKeyRecord]) throws -> Void) throws {
        let lockFD = open(path + ".lock", O_CREAT | O_RDWR | O_CLOEXEC, 0o600)
        guard lockFD >= 0 else { throw CoreError.internalError("cannot open \(path).lock") }
        defer { close(lockFD) }
        flock(lockFD, LOCK_EX)
        var list = try load()
        try change(&list)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        encoder.dateEncodingStrategy = .iso8601
        let data = try encoder.encode(list)
        do {
            try DurableFile.write(data, to: path, mode: 0o600)
        } catch {
            throw CoreError.internalError("\(error)")
        }
    }

    static let decoder: JSONDecoder = {
        let d = JSONDecoder()
        d.dateDecodingStrategy = .iso8601
        return d
    }()
}
