@testable import Checksums
import Testing

/// The PCLMULQDQ folding (Sources/CCRCFold) behind CRC32, CRC32C and CRC64NVME, against a
/// bit-at-a-time reference: every length around the folding's block and threshold boundaries, at every
/// 16-byte misalignment, from non-trivial registers (streamed after a prefix).
@Suite struct CRCFoldTests {
    /// The definition, one bit at a time, for a reflected CRC with init and xorout all ones.
    static func reference(_ bytes: some Sequence<UInt8>, poly: UInt64, width: Int) -> UInt64 {
        let mask: UInt64 = width == 64 ? ~0 : (1 << UInt64(width)) - 1
        var crc = mask
        for b in bytes {
            crc ^= UInt64(b)
            for _ in 0..<8 { crc = crc & 1 != 0 ? (crc >> 1) ^ poly : crc >> 1 }
        }
        return ~crc & mask
    }

    nonisolated(unsafe) static let algorithms: [(name: String, poly: UInt64, width: Int, crc: ([UInt8]) -> UInt64, streamed: ([UInt8], Int) -> UInt64)] = [
        ("CRC64NVME", CRC64NVME.reflectedPoly, 64, { CRC64NVME.checksum($0) }, { data, split in
            var h = CRC64NVME(); data[..<split].withUnsafeBytes { h.update($0) }; data[split...].withUnsafeBytes { h.update($0) }; return h.value }),
        ("CRC32", UInt64(CRC32.reflectedPoly), 32, { UInt64(CRC32.checksum($0)) }, { data, split in
            var h = CRC32(); data[..<split].withUnsafeBytes { h.update($0) }; data[split...].withUnsafeBytes { h.update($0) }; return UInt64(h.value) }),
        ("CRC32C", UInt64(CRC32C.reflectedPoly), 32, { UInt64(CRC32C.checksum($0)) }, { data, split in
            var h = CRC32C(); data[..<split].withUnsafeBytes { h.update($0) }; data[split...].withUnsafeBytes { h.update($0) }; return UInt64(h.value) }),
    ]

    #if arch(x86_64)
    @Test func foldsOnThisMachine() {
        // The CI and bench machines have PCLMULQDQ; without it the tests below would only test the tables.
        #expect(CRCFold.available)
    }
    #endif

    @Test func constantsAreThePowersOfX() {
        // x^64 mod P for the 64-bit CRC is P itself (reflected, without the x^64 term): the shift-and-reduce
        // loop behind every constant, checked on the one value that needs no loop to know.
        #expect(CRCFold.xPowModP(64, reflectedPoly: CRC64NVME.reflectedPoly, width: 64) == CRC64NVME.reflectedPoly)
        #expect(CRCFold.xPowModP(32, reflectedPoly: UInt64(CRC32.reflectedPoly), width: 32) == UInt64(CRC32.reflectedPoly) << 32)
        #expect(CRCFold.xPowModP(0, reflectedPoly: CRC64NVME.reflectedPoly, width: 64) == 1 << 63)
    }

    @Test func everyLengthAndAlignmentMatchesTheDefinition() {
        let data = StreamingTests.pseudoRandomBytes(1_200, seed: 11)
        for a in Self.algorithms {
            for offset in 0..<16 {
                for length in 0...1_100 where length < 80 || length % 7 == 0 || (250...270).contains(length) {
                    let slice = Array(data[offset..<(offset + length)])
                    #expect(a.crc(slice) == Self.reference(slice, poly: a.poly, width: a.width), "\(a.name) offset \(offset), length \(length)")
                }
            }
        }
    }

    @Test func foldingStartsFromTheRunningRegister() {
        // A short prefix (tables) leaves a register that is neither 0 nor all ones; the long rest is folded.
        let data = StreamingTests.pseudoRandomBytes(70_001, seed: 12)
        for a in Self.algorithms {
            let expected = Self.reference(data, poly: a.poly, width: a.width)
            for split in [1, 3, 8, 13, 255, 256, 4_099] {
                #expect(a.streamed(data, split) == expected, "\(a.name) split \(split)")
            }
        }
    }

    @Test func largeBufferMatchesTheTables() {
        let data = StreamingTests.pseudoRandomBytes(4 << 20, seed: 13)
        let tables64 = data.withUnsafeBytes { CRC64NVME.update(~0, $0) }
        #expect(CRC64NVME.checksum(data) == ~tables64)
        let tables32c = data.withUnsafeBytes { CRC32C.update(0xFFFF_FFFF, $0) }
        #expect(CRC32C.checksum(data) == ~tables32c)
    }
}
