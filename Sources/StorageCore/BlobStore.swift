import Foundation

/// Writes one new blob. Bytes go to a temporary place; `commit` makes them durable under their
/// final name. Owned by one task at a time.
public protocol BlobWriter: AnyObject, Sendable {
    func write(_ bytes: UnsafeRawBufferPointer) throws
    var bytesWritten: Int64 { get }
    /// fsync, then move into place durably. The blob is not referenced by metadata yet.
    func commit() throws -> BlobID
    /// Drops the temporary bytes (idempotent; safe after a failed write).
    func discard()
}

/// Random-access reads of one committed blob.
public protocol BlobReader: AnyObject, Sendable {
    /// Reads up to `buffer.count` bytes at `offset`; returns the count (0 at end).
    func read(into buffer: UnsafeMutableRawBufferPointer, at offset: Int64) throws -> Int
    func close()
}

/// Immutable blobs of bytes, named by opaque IDs.
public protocol BlobStore: Sendable {
    func makeWriter() throws -> any BlobWriter
    func openReader(_ blob: BlobID) throws -> any BlobReader
    /// Deleting a blob that does not exist is not an error.
    func delete(_ blob: BlobID) throws
    /// Removes temporaries left by a crash; returns how many.
    func sweepTemporaries() throws -> Int
    /// Calls `body` for every committed blob last modified before `date`.
    func forEachBlob(modifiedBefore date: Date, _ body: (BlobID) throws -> Void) throws
    /// Whether the store has room for writes (for health checks).
    func isWritable() -> Bool
}
