import NIOCore

/// A body that declares no digest but, perhaps, its MD5: the core's way to take any stream of bytes
/// (a copy's source, a Worker API or task API body, a test's). It hashes MD5 as it is read; when the
/// base ends, before it ends itself, it runs `atEnd` (a front end's own end-of-body check, e.g. a
/// declared length, which may also give checksums it computed, to store) and compares `contentMD5`
/// when given, throwing `BadDigest` on a mismatch.
public struct MD5Body<Base: AsyncSequence>: DigestedBody where Base.Element == ByteBuffer {
    public typealias Element = ByteBuffer
    let base: Base
    let contentMD5: [UInt8]?
    let atEnd: (@Sendable () throws -> [String: String])?
    private let result = DigestsBox()

    public init(_ base: Base, contentMD5: [UInt8]? = nil, atEnd: (@Sendable () throws -> [String: String])? = nil) {
        self.base = base
        self.contentMD5 = contentMD5
        self.atEnd = atEnd
    }

    public func digests() throws -> BodyDigests { try result.get() }

    public func makeAsyncIterator() -> Iterator {
        Iterator(base: base.makeAsyncIterator(), body: self, md5: PayloadMD5())
    }

    public struct Iterator: AsyncIteratorProtocol {
        var base: Base.AsyncIterator
        let body: MD5Body
        let md5: PayloadMD5

        public mutating func next() async throws -> ByteBuffer? {
            if let buffer = try await base.next() {
                await md5.update(buffer)
                return buffer
            }
            guard !body.result.isSet else { return nil }
            let checksums = try body.atEnd?() ?? [:]
            let digest = await md5.finalize()
            if let expected = body.contentMD5, expected != digest {
                throw CoreError("BadDigest", "The Content-MD5 you specified did not match what we received.")
            }
            body.result.set(BodyDigests(md5: digest, checksums: checksums))
            return nil
        }
    }
}
