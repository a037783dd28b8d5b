import Foundation
import StorageCore

/// Objects whose whole body is stored inline, as last read, by bucket and key, and keys found to have
/// no current object: a small GET, or a GET or HEAD of a missing key (clients probe keys before they
/// write them), reads no database. Each read from SQLite begins a WAL read transaction on a pooled
/// connection, whose shared-memory mutex and fcntl locks the event loops contended for (1.6 fcntl and
/// 1.3 futex calls per GET); a missing key cost 2.4 times a found one's CPU.
///
/// Only for the embedded store: one process writes the database's objects (`DataDirectoryLock`; the
/// admin commands that run beside the daemon create no object).
///
/// Never stale once a write is acknowledged: a write transaction notes the keys whose object it
/// replaces or removes, and they are dropped after its COMMIT, before any writer is answered
/// (`SQLiteMetadataStore.dropTouched`). A reader that read the database before that COMMIT may still
/// try to store what it read: every drop advances `generation`, and a value read under an older
/// generation is not stored.
final class InlineObjectCache: @unchecked Sendable {
    /// By UTF-8 bytes, as the database compares keys (see `BytewiseString`): S3 keeps "é" and
    /// "e\u{301}" apart.
    struct Key: Hashable {
        let bucket: BytewiseString
        let key: BytewiseString
        init(bucket: String, key: String) {
            self.bucket = BytewiseString(value: bucket)
            self.key = BytewiseString(value: key)
        }
    }
    typealias Value = (ObjectRecord, [Segment])

    /// What is known of a key: its object (body inline), or that it has none.
    enum Entry {
        case object(Value)
        case absent
    }

    private let lock = NSLock()
    private var entries: [Key: Value] = [:]
    /// Kept apart from `entries`, with a bound of its own: a run of probes for new keys (a sync of many
    /// files) clears these, never the objects.
    private var absentKeys: Set<Key> = []
    private var bytes = 0
    private var generation: UInt64 = 0
    let maxBytes: Int
    let maxEntries: Int

    init(maxBytes: Int = 16 << 20, maxEntries: Int = 8192) {
        self.maxBytes = maxBytes
        self.maxEntries = maxEntries
    }

    /// The cached entry, or nil and the generation to pass to `store` after reading the database.
    func lookup(_ key: Key) -> (entry: Entry?, generation: UInt64) {
        lock.lock(); defer { lock.unlock() }
        if let value = entries[key] { return (.object(value), generation) }
        return (absentKeys.contains(key) ? .absent : nil, generation)
    }

    /// Keeps what was read (`nil`: no object) if the body is inline or there is none, and nothing was
    /// dropped since `generation` was read. When full, all objects go, or all missing keys: each has its
    /// own bound (the simplest one; small hot sets refill at once).
    func store(_ value: Value?, for key: Key, readAt generation: UInt64) {
        guard let value else {
            lock.lock(); defer { lock.unlock() }
            guard generation == self.generation else { return }
            if absentKeys.count >= maxEntries { absentKeys.removeAll(keepingCapacity: true) }
            absentKeys.insert(key)
            return
        }
        guard value.1.allSatisfy({ $0.inline != nil }) else { return }
        let size = Self.cost(value)
        guard size <= maxBytes / 16 else { return }
        lock.lock(); defer { lock.unlock() }
        guard generation == self.generation else { return }
        if entries.count >= maxEntries || bytes + size > maxBytes {
            entries.removeAll(keepingCapacity: true)
            bytes = 0
        }
        if let old = entries.updateValue(value, forKey: key) { bytes -= Self.cost(old) }
        bytes += size
    }

    /// Drops these keys and makes every read begun before now unstorable.
    func drop(_ keys: [Key]) {
        lock.lock(); defer { lock.unlock() }
        generation &+= 1
        for key in keys {
            if let old = entries.removeValue(forKey: key) { bytes -= Self.cost(old) }
            absentKeys.remove(key)
        }
    }

    /// Objects held (missing keys not counted).
    var count: Int { lock.withLock { entries.count } }

    /// Body bytes plus a rough per-entry overhead (record, strings, dictionary slot).
    private static func cost(_ value: Value) -> Int {
        value.1.reduce(256 + value.0.key.utf8.count) { $0 + ($1.inline?.count ?? 0) + 64 }
    }
}
