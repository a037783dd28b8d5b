import NIOCore

/// A body that hands each chunk to `tap` on its way through (to hash it, count it, …): the one
/// pass-through adapter the pipelines compose, so a body is still read exactly once.
public struct TappedBody<Base: AsyncSequence & Sendable>: AsyncSequence, Sendable where Base.Element == ByteBuffer {
    public typealias Element = ByteBuffer
    let base: Base
    let tap: @Sendable (ByteBuffer) throws -> Void

    public init(_ base: Base, tap: @escaping @Sendable (ByteBuffer) throws -> Void) {
        self.base = base
        self.tap = tap
    }

    public func makeAsyncIterator() -> Iterator { Iterator(base: base.makeAsyncIterator(), tap: tap) }

    public struct Iterator: AsyncIteratorProtocol {
        var base: Base.AsyncIterator
        let tap: @Sendable (ByteBuffer) throws -> Void
        public mutating func next() async throws -> ByteBuffer? {
            guard let chunk = try await base.next() else { return nil }
            try tap(chunk)
            return chunk
        }
    }
}
