@testable import Checksums
import Testing

/// The PCLMULQDQ folding of CRC-64/NVME (Sources/CCRCFold) against a bit-at-a-time reference: every
/// length around the folding's block and threshold boundaries, at every 16-byte misalignment, from
/// non-trivial registers (streamed after a prefix).
@Suite struct CRC64FoldTests {
    /// The definition, one bit at a time: reflected 0x9A6C9329AC4BC9B5, init and xorout all ones.
    static func reference(_ bytes: some Sequence<UInt8>, register: UInt64 = ~0) -> UInt64 {
        var crc = register
        for b in bytes {
            crc ^= UInt64(b)
            for _ in 0..<8 { crc = crc & 1 != 0 ? (crc >> 1) ^ CRC64NVME.reflectedPoly : crc >> 1 }
        }
        return crc
    }

    #if arch(x86_64)
    @Test func foldsOnThisMachine() {
        // The CI and bench machines have PCLMULQDQ; without it the tests below would only test the tables.
        #expect(CRC64NVME.folds)
    }
    #endif

    @Test func everyLengthAndAlignmentMatchesTheDefinition() {
        let data = StreamingTests.pseudoRandomBytes(1_200, seed: 11)
        for offset in 0..<16 {
            for length in stride(from: 0, through: 1_100, by: 1) where length < 80 || length % 7 == 0 || (250...270).contains(length) {
                let slice = data[offset..<(offset + length)]
                #expect(CRC64NVME.checksum(slice) == ~Self.reference(slice), "offset \(offset), length \(length)")
            }
        }
    }

    @Test func foldingStartsFromTheRunningRegister() {
        // A short prefix (tables) leaves a register that is neither 0 nor all ones; the long rest is folded.
        let data = StreamingTests.pseudoRandomBytes(70_001, seed: 12)
        for split in [1, 3, 8, 13, 255, 256, 4_099] {
            var h = CRC64NVME()
            data[..<split].withUnsafeBytes { h.update($0) }
            data[split...].withUnsafeBytes { h.update($0) }
            #expect(h.value == ~Self.reference(data), "split \(split)")
        }
    }

    @Test func largeBufferMatchesTheTables() {
        let data = StreamingTests.pseudoRandomBytes(4 << 20, seed: 13)
        let tables = data.withUnsafeBytes { CRC64NVME.update(~0, $0) }
        #expect(CRC64NVME.checksum(data) == ~tables)
        #expect(CRC64NVME.checksum(data[..<1_000]) == ~Self.reference(data[..<1_000]))
    }
}
