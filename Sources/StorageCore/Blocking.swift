import Dispatch

/// Runs blocking work (SQLite, fsync, rename) off Swift's cooperative threads, which are few
/// (one per core) and must never wait on a disk.
@inlinable
func blocking<T: Sendable>(_ work: @escaping @Sendable () throws -> T) async throws -> T {
    try await withCheckedThrowingContinuation { cont in
        DispatchQueue.global().async {
            do { cont.resume(returning: try work()) } catch { cont.resume(throwing: error) }
        }
    }
}
