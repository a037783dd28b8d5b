import Checksums
import Testing
import WireFormats

@Suite struct KnownVectorTests {
    let check = Array("123456789".utf8)
    let hello = Array("hello world".utf8)
    let fox = Array("The quick brown fox jumps over the lazy dog".utf8)

    @Test func catalogueCheckValues() {
        #expect(CRC32.checksum(check) == 0xCBF4_3926)
        #expect(CRC32C.checksum(check) == 0xE306_9283)
        #expect(CRC64NVME.checksum(check) == 0xAE8B_1486_0A79_9888)
    }

    // Reference values from Python: zlib.crc32, hashlib, and a bitwise CRC for 32C/64NVME.
    @Test func helloWorld() {
        #expect(CRC32.checksum(hello) == 0x0D4A_1185)
        #expect(ChecksumAlgorithm.crc32.digest(hello) == [0x0D, 0x4A, 0x11, 0x85])
        #expect(Base64.encode(ChecksumAlgorithm.crc32.digest(hello)) == "DUoRhQ==")
        #expect(CRC32C.checksum(hello) == 0xC994_65AA)
        #expect(CRC64NVME.checksum(hello) == 0x8D29_D5C3_F6EA_8EBE)
        #expect(Hex.encode(ChecksumAlgorithm.sha1.digest(hello)) == "2aae6c35c94fcfb415dbe95f408b9ce91ee846ed")
        #expect(Base64.encode(ChecksumAlgorithm.sha256.digest(hello)) == "uU0nuZNNPgilLlLX2n2r+sSE7+N6U4DukIj3rOLvzek=")
    }

    @Test func longerInputsExerciseTheEightByteLoop() {
        #expect(CRC32.checksum(fox) == 0x414F_A339)
        #expect(CRC32C.checksum(fox) == 0x2262_0404)
        #expect(CRC64NVME.checksum(fox) == 0xD76C_5405_4954_C143)
        #expect(CRC32.checksum([UInt8](repeating: UInt8(ascii: "a"), count: 1000)) == 0x9A38_DA03)
    }

    @Test func emptyInput() {
        #expect(ChecksumAlgorithm.crc32.digest([]) == [0, 0, 0, 0])
        #expect(ChecksumAlgorithm.crc32c.digest([]) == [0, 0, 0, 0])
        #expect(ChecksumAlgorithm.crc64nvme.digest([]) == [UInt8](repeating: 0, count: 8))
        #expect(Hex.encode(ChecksumAlgorithm.sha1.digest([])) == "da39a3ee5e6b4b0d3255bfef95601890afd80709")
        #expect(Base64.encode(ChecksumAlgorithm.sha256.digest([])) == "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=")
    }

    @Test func digestsAreBigEndian() {
        #expect(Hex.encode(ChecksumAlgorithm.crc32c.digest(check)) == "e3069283")
        #expect(Hex.encode(ChecksumAlgorithm.crc64nvme.digest(check)) == "ae8b14860a799888")
        for algorithm in ChecksumAlgorithm.allCases {
            #expect(algorithm.digest(hello).count == algorithm.digestLength)
        }
    }
}
