import Crypto
import NIOCore
import WireFormats

/// The cipher of one object's body (or of one multipart upload's parts): its data key over `BlockCipher`.
/// Each stored stream is bound to its place: block i of part p (0 for a body written whole: PutObject,
/// CopyObject; N for part N of a multipart upload) carries "tessera object part p block i" as additional
/// data, so a block moved within or between parts, or a part's blob put in another's place, fails to open.
public struct ObjectCipher: @unchecked Sendable {  // SymmetricKey is an immutable value
    let blocks: BlockCipher
    let dataKey: SymmetricKey
    /// SSE-C: the ETag is not the plaintext's MD5 (as S3), so it tells nothing about the body.
    let hidesMD5: Bool

    public init(dataKey: SymmetricKey, hidesMD5: Bool = false) {
        blocks = BlockCipher(key: dataKey); self.dataKey = dataKey; self.hidesMD5 = hidesMD5
    }

    /// The ETag of a body (or part) with plaintext MD5 `md5`: its hex, or for SSE-C an HMAC of it under the data key.
    public func etag(md5: [UInt8]) -> String {
        guard hidesMD5 else { return Hex.encode(md5) }
        return Hex.encode(Array(HMAC<SHA256>.authenticationCode(for: md5, using: dataKey).prefix(16)))
    }

    static func aad(part: Int, block: Int) -> [UInt8] { Array("tessera object part \(part) block \(block)".utf8) }

    /// `body` sealed as stream `part`; `counter` counts its plaintext bytes.
    func sealing<Base: AsyncSequence>(_ body: Base, part: Int, counter: ByteCounter) -> SealingBody<Base> where Base.Element == ByteBuffer {
        SealingBody(base: body, cipher: blocks, counter: counter, aad: { Self.aad(part: part, block: $0) })
    }

    func open(_ sealed: [UInt8], part: Int, block: Int) throws -> [UInt8] {
        try blocks.open(sealed, authenticating: Self.aad(part: part, block: block))
    }
}
