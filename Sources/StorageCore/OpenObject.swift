import NIOCore

/// An object being read. Unless its body is all inline (already in `segments`), it holds a read
/// lease on its version so its blobs outlive concurrent overwrites until the handle is released (deinit).
public final class OpenObject: Sendable {
    public let record: ObjectRecord
    public let segments: [Segment]
    let storage: Storage
    let leased: Bool

    init(record: ObjectRecord, segments: [Segment], storage: Storage, leased: Bool) {
        self.record = record; self.segments = segments; self.storage = storage; self.leased = leased
    }

    deinit { if leased { storage.releaseLease(record.version) } }

    /// Byte range of part `n` (GET ?partNumber=N). A plain PUT object has one part, the whole body.
    public func partRange(_ n: Int) -> ClosedRange<Int64>? {
        if record.partsCount == nil {
            return n == 1 && record.size > 0 ? 0...(record.size - 1) : nil
        }
        guard let s = segments.first(where: { $0.partNumber == n }), s.size > 0 else { return nil }
        return s.offset...(s.offset + s.size - 1)
    }

    /// The bytes of `range` (inclusive; nil = all) in one buffer, when the body is one inline segment
    /// (a small object): then a response can be sent in one write. nil otherwise.
    public func inlineBytes(range: ClosedRange<Int64>?) -> ByteBuffer? {
        guard segments.count == 1, let bytes = segments[0].inline, segments[0].offset == 0, bytes.count == record.size else { return nil }
        guard let range else { return ByteBuffer(bytes: bytes) }
        guard range.lowerBound >= 0, range.upperBound < Int64(bytes.count) else { return nil }
        return ByteBuffer(bytes: bytes[Int(range.lowerBound)...Int(range.upperBound)])
    }

    /// The bytes of `range` (inclusive; nil = all), read in chunks across segment boundaries.
    public func chunks(range: ClosedRange<Int64>?, chunkSize: Int = 256 << 10) -> ObjectChunks {
        ObjectChunks(object: self, range: range ?? (record.size > 0 ? 0...(record.size - 1) : nil), chunkSize: chunkSize)
    }
}

public struct ObjectChunks: AsyncSequence, Sendable {
    public typealias Element = ByteBuffer
    let object: OpenObject
    let range: ClosedRange<Int64>?
    let chunkSize: Int

    public func makeAsyncIterator() -> Iterator {
        Iterator(object: object, next: range?.lowerBound ?? 0, end: range.map { $0.upperBound + 1 } ?? 0, chunkSize: chunkSize)
    }

    public struct Iterator: AsyncIteratorProtocol {
        let object: OpenObject
        var next: Int64
        let end: Int64
        let chunkSize: Int
        var segmentIndex = 0
        var reader: (any BlobReader)?
        var readerIndex = -1
        let allocator = ByteBufferAllocator()  // for inline segments

        init(object: OpenObject, next: Int64, end: Int64, chunkSize: Int) {
            self.object = object; self.next = next; self.end = end; self.chunkSize = chunkSize
        }

        public mutating func next() async throws -> ByteBuffer? {
            guard next < end else { reader?.close(); return nil }
            let segments = object.segments
            while segmentIndex < segments.count && segments[segmentIndex].offset + segments[segmentIndex].size <= next {
                segmentIndex += 1
            }
            guard segmentIndex < segments.count else { throw CoreError.internalError("object shorter than its size") }
            let seg = segments[segmentIndex]
            let within = next - seg.offset
            let want = Int(Swift.min(Int64(chunkSize), seg.size - within, end - next))
            if let bytes = seg.inline {
                guard Int(within) + want <= bytes.count else { throw CoreError.internalError("inline body shorter than recorded") }
                next += Int64(want)
                return allocator.buffer(bytes: bytes[Int(within)..<(Int(within) + want)])
            }
            if readerIndex != segmentIndex {
                reader?.close()
                reader = try await object.storage.blobs.openReader(seg.blob)
                readerIndex = segmentIndex
            }
            let buffer = try await reader!.read(at: within, count: want)
            let got = buffer.readableBytes
            guard got > 0 else { throw CoreError.internalError("blob shorter than recorded") }
            next += Int64(got)
            return buffer
        }
    }
}
