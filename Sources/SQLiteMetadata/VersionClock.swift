import Foundation

/// Object versions: unique numbers that also grow with time. A version is the key of an object's
/// segment rows, so versions made one after another land side by side in the metadata store's
/// b-tree: a small PUT over many keys appends its segment next to the previous PUT's instead of
/// writing one more page at a random place. Random versions cost about a sixth of the 4 KiB PUT rate.
///
/// Microseconds since 1970 shifted left by 10 (room for 1,024 a microsecond), never less than one
/// more than the last: unique within a run, and across runs because the first version of a run comes
/// after the largest the store holds (databases from before hold random versions: then after those).
///
/// In this process's memory: unique only while one process makes versions for the database (the
/// SQLite store's daemon; the admin commands make none). A shared store needs a shared source.
final class VersionClock: @unchecked Sendable {
    private let lock = NSLock()
    private var last: Int64?
    private let largestStored: () throws -> Int64

    init(largestStored: @escaping () throws -> Int64) {
        self.largestStored = largestStored
    }

    /// Whether `prime` has read the largest stored version: then `next` reads nothing.
    var isPrimed: Bool { lock.withLock { last != nil } }

    /// Reads the largest stored version now (start-up), not on the first write's path.
    func prime() throws {
        try lock.withLock { if last == nil { last = try largestStored() } }
    }

    func next(now: Date = Date()) throws -> Int64 {
        try lock.withLock {
            let previous = try last ?? largestStored()
            let fromTime = Int64(now.timeIntervalSince1970 * 1_000_000) << 10
            // Past Int64.max (only after random versions close to it): random, as versions once were.
            let version = previous < Int64.max ? max(fromTime, previous + 1) : Int64.random(in: 1...Int64.max)
            last = version
            return version
        }
    }
}
