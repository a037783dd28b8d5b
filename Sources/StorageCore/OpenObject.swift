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
        guard record.attributes.encryption == nil, segments.count == 1, let bytes = segments[0].inline, segments[0].offset == 0, bytes.count == record.size else { return nil }
        guard let range else { return ByteBuffer(bytes: bytes) }
        guard range.lowerBound >= 0, range.upperBound < Int64(bytes.count) else { return nil }
        return ByteBuffer(bytes: bytes[Int(range.lowerBound)...Int(range.upperBound)])
    }

    /// The bytes of `range` (inclusive; nil = all), read in chunks across segment boundaries. A sealed
    /// body (SSE) needs its `cipher`: only the blocks the range touches are read and opened; without
    /// it the read fails, and never yields stored bytes.
    public func chunks(range: ClosedRange<Int64>?, chunkSize: Int = 256 << 10, cipher: ObjectCipher? = nil) -> ObjectChunks {
        ObjectChunks(object: self, range: range ?? (record.size > 0 ? 0...(record.size - 1) : nil), chunkSize: chunkSize, cipher: cipher)
    }
}

public struct ObjectChunks: AsyncSequence, Sendable {
    public typealias Element = ByteBuffer
    let object: OpenObject
    let range: ClosedRange<Int64>?
    let chunkSize: Int
    let cipher: ObjectCipher?

    public func makeAsyncIterator() -> Iterator {
        Iterator(object: object, next: range?.lowerBound ?? 0, end: range.map { $0.upperBound + 1 } ?? 0, chunkSize: chunkSize, cipher: cipher)
    }

    public struct Iterator: AsyncIteratorProtocol {
        let object: OpenObject
        var next: Int64
        let end: Int64
        let chunkSize: Int
        let cipher: ObjectCipher?
        var segmentIndex = 0
        var reader: (any BlobReader)?
        var readerIndex = -1
        let allocator = ByteBufferAllocator()  // for inline segments

        init(object: OpenObject, next: Int64, end: Int64, chunkSize: Int, cipher: ObjectCipher?) {
            self.object = object; self.next = next; self.end = end; self.chunkSize = chunkSize; self.cipher = cipher
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
            if object.record.attributes.encryption != nil {
                guard let cipher else { throw CoreError.internalError("a sealed object read without its key") }
                return try await nextOpened(seg, within: within, cipher: cipher)
            }
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

        /// The plaintext from `within` in segment `seg` to the end of its block (or of the range): the one
        /// sealed block holding it is read whole and opened (its part and index are bound into it).
        mutating func nextOpened(_ seg: Segment, within: Int64, cipher: ObjectCipher) async throws -> ByteBuffer {
            guard seg.inline == nil else { throw CoreError.internalError("a sealed object with an inline body") }
            let blockSize = Int64(BlockCipher.blockSize)
            let block = within / blockSize
            let blockStart = block * blockSize
            let plainLength = Swift.min(blockSize, seg.size - blockStart)
            let storedStart = block * (blockSize + Int64(BlockCipher.overhead))
            let storedLength = Int(plainLength) + BlockCipher.overhead
            if readerIndex != segmentIndex {
                reader?.close()
                reader = try await object.storage.blobs.openReader(seg.blob)
                readerIndex = segmentIndex
            }
            var sealed: [UInt8] = []
            sealed.reserveCapacity(storedLength)
            while sealed.count < storedLength {
                let buffer = try await reader!.read(at: storedStart + Int64(sealed.count), count: storedLength - sealed.count)
                guard buffer.readableBytes > 0 else { throw CoreError.internalError("sealed blob shorter than recorded") }
                sealed += buffer.readableBytesView
            }
            let opened: [UInt8]
            do {
                opened = try cipher.open(sealed, part: seg.partNumber ?? 0, block: Int(block))
            } catch {
                throw CoreError.internalError("a sealed block of \(seg.blob) does not open: the blob is damaged")
            }
            guard opened.count == Int(plainLength) else { throw CoreError.internalError("a sealed block of \(seg.blob) has the wrong length") }
            let from = Int(within - blockStart)
            let to = Int(Swift.min(end - seg.offset, blockStart + plainLength) - blockStart)
            next += Int64(to - from)
            return allocator.buffer(bytes: opened[from..<to])
        }
    }
}
