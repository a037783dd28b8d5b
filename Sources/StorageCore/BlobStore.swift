import Foundation
import NIOCore

/// Writes one new blob. Bytes go to a temporary place; `commit` makes them durable under their
/// final name. Owned by one task at a time, which awaits each call before the next.
public protocol BlobWriter: AnyObject, Sendable {
    /// Appends `bytes` (handed over by value: the writer may pass them to another thread).
    func write(_ bytes: ByteBuffer) async throws
    var bytesWritten: Int64 { get }
    /// fsync, then move into place durably. The blob is not referenced by metadata yet.
    func commit() async throws -> BlobID
    /// Drops the temporary bytes (idempotent; safe after a failed write).
    func discard() async
}

/// Random-access reads of one committed blob, by one task at a time.
public protocol BlobReader: AnyObject, Sendable {
    /// Up to `count` bytes at `offset` (fewer only at the end; none past it). A store may open the blob
    /// lazily: then a missing blob is reported by the first read.
    func read(at offset: Int64, count: Int) async throws -> ByteBuffer
    /// Lets go of the blob. Must not block (a file descriptor's close, a request's cancellation).
    func close()
}

extension BlobStore {
    /// A writer whose blob's ID sorts anywhere (`makeWriter(cluster: nil)`).
    public func makeWriter() async throws -> any BlobWriter { try await makeWriter(cluster: nil) }
}

/// A committed blob, as a listing gives it.
public struct StoredBlob: Sendable, Equatable {
    public var id: BlobID
    public var modified: Date
    public init(id: BlobID, modified: Date) { self.id = id; self.modified = modified }
}

/// Immutable blobs of bytes, named by opaque IDs. Calls are async and must not block the calling
/// thread (the file store runs its system calls on the `BlockingPool`).
public protocol BlobStore: Sendable {
    /// A writer of a new blob. Blobs made with the same `cluster` (a multipart upload's ID: its parts) get
    /// IDs that sort next to each other, in about the order they were made, so that the metadata's
    /// indexes by blob take a completion's thousands of entries in one stretch of pages, not one page
    /// each (`FileBlobStore.newID`). nil: an ID anywhere.
    func makeWriter(cluster: String?) async throws -> any BlobWriter
    func openReader(_ blob: BlobID) async throws -> any BlobReader
    /// Deleting a blob that does not exist is not an error.
    func delete(_ blobs: [BlobID]) async throws
    /// Removes temporaries left by a crash; returns how many. With a cutoff, only those last modified
    /// before it (others may be another process's writes in flight); without, every one.
    func sweepTemporaries(olderThan cutoff: Date?) async throws -> Int
    /// Up to `limit` committed blobs in ID order, after `after` (from the first when nil).
    func listBlobs(after: BlobID?, limit: Int) async throws -> [StoredBlob]
    /// Whether the store has room for writes (for health checks).
    func isWritable() async -> Bool
}
