import Foundation
import NIOCore
import StorageCore

/// A file's plaintext for a byte range: read straight through for plain files, or block by block
/// (only the blocks the range touches) for encrypted ones.
struct PlainReader: AsyncSequence, Sendable {
    typealias Element = ByteBuffer
    let object: OpenObject
    let chunkSize: Int64
    let cipher: FileCipher?
    let range: ClosedRange<Int64>?
    /// The file's plaintext size (the stored object is larger when sealed).
    let plainSize: Int64

    func makeAsyncIterator() -> Iterator {
        Iterator(reader: self, plain: cipher == nil ? object.chunks(range: range).makeAsyncIterator() : nil, next: range?.lowerBound ?? 0)
    }

    struct Iterator: AsyncIteratorProtocol {
        let reader: PlainReader
        var plain: ObjectChunks.Iterator?
        var next: Int64

        mutating func next() async throws -> ByteBuffer? {
            if plain != nil { return try await plain!.next() }
            guard let cipher = reader.cipher, let range = reader.range, next <= range.upperBound else { return nil }
            // The block holding `next`: its chunk, its index in the chunk, and where it is stored.
            let cs = reader.chunkSize
            let chunk = next / cs
            let within = next - chunk * cs
            let block = within / Int64(FileCipher.blockSize)
            let blockStart = chunk * cs + block * Int64(FileCipher.blockSize)
            let plainLength = Swift.min(Int64(FileCipher.blockSize), cs - block * Int64(FileCipher.blockSize), reader.plainSize - blockStart)
            let storedStart = chunk * FileCipher.sealedSize(cs) + block * Int64(FileCipher.blockSize + FileCipher.overhead)
            var sealed: [UInt8] = []
            for try await b in reader.object.chunks(range: storedStart...(storedStart + plainLength + Int64(FileCipher.overhead) - 1)) {
                sealed += b.readableBytesView
            }
            let opened = try cipher.open(sealed, chunk: Int(chunk), block: Int(block))
            let from = Int(next - blockStart)
            let to = Int(Swift.min(range.upperBound, blockStart + plainLength - 1) - blockStart)
            next = blockStart + Int64(to) + 1
            return ByteBuffer(bytes: opened[from...to])
        }
    }

    /// Calls `body` with the plaintext of an upload's parts in order (to verify a content hash at completion).
    static func forEachPlainBlock(storage: Storage, parts: [PartRecord], chunkSize: Int64, cipher: FileCipher?,
                                  _ body: ([UInt8]) throws -> Void) async throws {
        for p in parts {
            let reader = try await storage.blobs.openReader(p.blob)
            defer { reader.close() }
            // Sealed blocks are `step` bytes (the last may be shorter); reads take whole blocks, about 1 MiB.
            let step = cipher == nil ? 1 << 20 : FileCipher.blockSize + FileCipher.overhead
            let span = step * Swift.max(1, (1 << 20) / step)
            var offset: Int64 = 0
            var block = 0
            while offset < p.size {
                let want = Int(Swift.min(Int64(span), p.size - offset))
                var buffer = try await reader.read(at: offset, count: want)
                while buffer.readableBytes < want {
                    var more = try await reader.read(at: offset + Int64(buffer.readableBytes), count: want - buffer.readableBytes)
                    guard more.readableBytes > 0 else { throw CoreError.internalError("part shorter than recorded") }
                    buffer.writeBuffer(&more)
                }
                while let bytes = buffer.readBytes(length: Swift.min(step, buffer.readableBytes)), !bytes.isEmpty {
                    if let cipher {
                        try body(try cipher.open(bytes, chunk: p.partNumber - 1, block: block))
                    } else {
                        try body(bytes)
                    }
                    block += 1
                }
                offset += Int64(want)
            }
        }
    }
}
