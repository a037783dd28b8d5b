import Crypto
import Testing
@testable import TasksAPI

@Suite struct FileCipherTests {
    @Test func passwordOpensOnlyItsOwnFile() throws {
        let (params, cipher) = try FileCipher.create(password: "pw")
        #expect(try FileCipher.open(params, password: "pw")?.exported == cipher.exported)
        #expect(try FileCipher.open(params, password: "PW") == nil)
    }

    @Test func blocksAreBoundToTheirPosition() throws {
        let cipher = FileCipher(key: SymmetricKey(size: .bits256))
        let plain = Array("hello block".utf8)
        let sealed = try cipher.seal(plain, chunk: 2, block: 3)
        #expect(sealed.count == plain.count + FileCipher.overhead)
        #expect(try cipher.open(sealed, chunk: 2, block: 3) == plain)
        #expect(throws: (any Error).self) { try cipher.open(sealed, chunk: 2, block: 4) }
        var tampered = sealed
        tampered[14] ^= 1
        #expect(throws: (any Error).self) { try cipher.open(tampered, chunk: 2, block: 3) }
    }

    @Test func sealedSizeCountsOneOverheadPerBlock() {
        let b = Int64(FileCipher.blockSize), o = Int64(FileCipher.overhead)
        #expect(FileCipher.sealedSize(0) == 0)
        #expect(FileCipher.sealedSize(1) == 1 + o)
        #expect(FileCipher.sealedSize(b) == b + o)
        #expect(FileCipher.sealedSize(b + 1) == b + 1 + 2 * o)
    }
}
