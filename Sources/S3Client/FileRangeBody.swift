import Foundation
import NIOCore
#if canImport(Glibc)
import Glibc
#endif

/// A byte range of a local file as a request body: read in 1 MiB pieces with pread as the request goes out, so a
/// part is never held whole in memory.
public struct FileRangeBody: AsyncSequence, Sendable {
    public typealias Element = ByteBuffer
    let descriptor: Int32
    let offset: Int64
    let length: Int64
    static let pieceSize = 1 << 20

    /// `descriptor` stays owned by the caller and open while the body is sent.
    public init(descriptor: Int32, offset: Int64, length: Int64) {
        self.descriptor = descriptor
        self.offset = offset
        self.length = length
    }

    public struct AsyncIterator: AsyncIteratorProtocol {
        let descriptor: Int32
        var position: Int64
        let end: Int64

        public mutating func next() async throws -> ByteBuffer? {
            guard position < end else { return nil }
            let count = Int(Swift.min(Int64(FileRangeBody.pieceSize), end - position))
            var buffer = ByteBufferAllocator().buffer(capacity: count)
            let read = try buffer.writeWithUnsafeMutableBytes(minimumWritableBytes: count) { raw in
                let n = pread(descriptor, raw.baseAddress, count, off_t(position))
                guard n > 0 else { throw FileReadError(errno: n == 0 ? 0 : errno, offset: position) }
                return n
            }
            position += Int64(read)
            return buffer
        }
    }

    public func makeAsyncIterator() -> AsyncIterator {
        AsyncIterator(descriptor: descriptor, position: offset, end: offset + length)
    }
}

/// A local file shorter than expected or unreadable while it is being sent.
public struct FileReadError: Error, CustomStringConvertible {
    public var errno: Int32
    public var offset: Int64
    public init(errno: Int32, offset: Int64) {
        self.errno = errno
        self.offset = offset
    }
    public var description: String {
        errno == 0 ? "the file ended early (at byte \(offset)): it changed while being sent" : "read failed at byte \(offset): errno \(errno)"
    }
}
