import NIOCore

/// Seals a plaintext stream block by block (`BlockCipher`), the additional data of block i being
/// `aad(i)`; counts plaintext bytes. At most one block and one incoming buffer are held at a time.
/// Over a `DigestedBody`, it is one too: the digests are the plaintext's.
public struct SealingBody<Base: AsyncSequence>: AsyncSequence where Base.Element == ByteBuffer {
    public typealias Element = ByteBuffer
    let base: Base
    let cipher: BlockCipher
    let aad: @Sendable (Int) -> [UInt8]
    let counter: ByteCounter

    public init(base: Base, cipher: BlockCipher, counter: ByteCounter, aad: @escaping @Sendable (Int) -> [UInt8]) {
        self.base = base; self.cipher = cipher; self.counter = counter; self.aad = aad
    }

    public func makeAsyncIterator() -> Iterator { Iterator(base: base.makeAsyncIterator(), cipher: cipher, aad: aad, counter: counter) }

    public struct Iterator: AsyncIteratorProtocol {
        var base: Base.AsyncIterator
        let cipher: BlockCipher
        let aad: @Sendable (Int) -> [UInt8]
        let counter: ByteCounter
        var pending: [UInt8] = []
        var block = 0
        var done = false

        public mutating func next() async throws -> ByteBuffer? {
            while !done && pending.count < BlockCipher.blockSize {
                if let b = try await base.next() {
                    counter.add(b.readableBytes)
                    pending += b.readableBytesView
                } else {
                    done = true
                }
            }
            guard !pending.isEmpty else { return nil }
            let n = Swift.min(BlockCipher.blockSize, pending.count)
            let sealed = try cipher.seal(pending[0..<n], authenticating: aad(block))
            pending.removeFirst(n)
            block += 1
            return ByteBuffer(bytes: sealed)
        }
    }
}

extension SealingBody: Sendable where Base: Sendable {}

extension SealingBody: DigestedBody where Base: DigestedBody {
    public func digests() throws -> BodyDigests { try base.digests() }
}
