import Crypto
import Foundation
import Testing
@testable import StorageCore

/// The shared block cipher: a sealed block opens only unchanged, whole, under its key and at its position.
@Suite struct BlockCipherTests {
    let cipher = BlockCipher(key: SymmetricKey(size: .bits256))
    let aad = Array("part 1 block 0".utf8)

    @Test func roundTripAndSize() throws {
        for n in [0, 1, 1000, BlockCipher.blockSize] {
            let plain = randomBytes(n)
            let sealed = try cipher.seal(plain, authenticating: aad)
            #expect(sealed.count == n + BlockCipher.overhead)
            #expect(try cipher.open(sealed, authenticating: aad) == plain)
        }
        // Two seals of the same block differ (random nonce): equal plaintext blocks do not show.
        let plain = randomBytes(64)
        #expect(try cipher.seal(plain, authenticating: aad) != cipher.seal(plain, authenticating: aad))
    }

    @Test func aBlockMovedElsewhereFailsToOpen() throws {
        let sealed = try cipher.seal(randomBytes(500), authenticating: aad)
        #expect(throws: (any Error).self) { _ = try cipher.open(sealed, authenticating: Array("part 1 block 1".utf8)) }
        #expect(throws: (any Error).self) { _ = try cipher.open(sealed, authenticating: Array("part 2 block 0".utf8)) }
        // Another key: another object's block.
        #expect(throws: (any Error).self) { _ = try BlockCipher(key: SymmetricKey(size: .bits256)).open(sealed, authenticating: aad) }
    }

    @Test func aTruncatedOrChangedBlockFailsToOpen() throws {
        let sealed = try cipher.seal(randomBytes(500), authenticating: aad)
        for cut in [1, 16, 100, sealed.count - 27, sealed.count] {
            #expect(throws: (any Error).self) { _ = try cipher.open(Array(sealed.dropLast(cut)), authenticating: aad) }
        }
        for i in [0, 11, 12, 300, sealed.count - 1] {
            var flipped = sealed
            flipped[i] ^= 0x01
            #expect(throws: (any Error).self) { _ = try cipher.open(flipped, authenticating: aad) }
        }
    }

    @Test func sealedSizeCountsOneOverheadPerBlock() {
        let b = Int64(BlockCipher.blockSize), o = Int64(BlockCipher.overhead)
        #expect(BlockCipher.sealedSize(0) == 0)
        #expect(BlockCipher.sealedSize(1) == 1 + o)
        #expect(BlockCipher.sealedSize(b) == b + o)
        #expect(BlockCipher.sealedSize(b + 1) == b + 1 + 2 * o)
    }
}
