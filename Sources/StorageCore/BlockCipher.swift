import Crypto
import Foundation

/// AES-256-GCM over fixed-size blocks, the one implementation of encryption at rest (the task API's
/// password-protected files and the S3 front end's SSE both use it).
///
/// A stream of plaintext is cut into `blockSize` blocks (the last may be shorter); each is sealed on its
/// own with a random 96-bit nonce and additional data naming its position (the caller's: stream and
/// block index), stored as nonce | ciphertext | tag. A block moved to another position, changed or cut
/// short fails to open. Fixed block positions keep range reads cheap: only the blocks a range touches
/// are read and opened.
public struct BlockCipher: @unchecked Sendable {  // SymmetricKey is an immutable value
    public static let blockSize = 64 * 1024
    /// Stored bytes per block beyond its plaintext: the nonce and the tag.
    public static let overhead = 12 + 16
    public let key: SymmetricKey

    public init(key: SymmetricKey) { self.key = key }

    /// Stored size of `plain` plaintext bytes.
    public static func sealedSize(_ plain: Int64) -> Int64 {
        plain + (plain + Int64(blockSize) - 1) / Int64(blockSize) * Int64(overhead)
    }

    public func seal(_ block: some DataProtocol, authenticating aad: [UInt8]) throws -> [UInt8] {
        let box = try AES.GCM.seal(block, using: key, nonce: AES.GCM.Nonce(), authenticating: aad)
        var out: [UInt8] = []
        out.reserveCapacity(block.count + Self.overhead)
        out += box.nonce
        out += box.ciphertext
        out += box.tag
        return out
    }

    /// The block's plaintext; throws when it was changed, cut short or sealed for another position or key.
    public func open(_ sealed: [UInt8], authenticating aad: [UInt8]) throws -> [UInt8] {
        guard sealed.count >= Self.overhead else { throw CoreError.internalError("sealed block too short") }
        let box = try AES.GCM.SealedBox(nonce: AES.GCM.Nonce(data: sealed[0..<12]), ciphertext: sealed[12..<(sealed.count - 16)],
                                        tag: sealed[(sealed.count - 16)...])
        return Array(try AES.GCM.open(box, using: key, authenticating: aad))
    }
}
