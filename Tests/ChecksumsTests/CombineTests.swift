@testable import Checksums
import Testing

@Suite struct CombineTests {
    let data = StreamingTests.pseudoRandomBytes(70_001, seed: 99)

    /// Random split points, including the empty prefix/suffix edge cases.
    var splits: [Int] {
        var rng = SplitMix64(seed: 1234)
        return [0, 1, 7, 8, 9, data.count - 1, data.count] + (0..<30).map { _ in Int(rng.next(upperBound: UInt64(data.count + 1))) }
    }

    @Test func crc32() {
        let whole = CRC32.checksum(data)
        for s in splits {
            let a = CRC32.checksum(data[..<s]), b = CRC32.checksum(data[s...])
            #expect(CRC32.combine(a, b, lengthOfB: Int64(data.count - s)) == whole, "split \(s)")
        }
    }

    @Test func crc32c() {
        let whole = CRC32C.checksum(data)
        for s in splits {
            let a = CRC32C.checksum(data[..<s]), b = CRC32C.checksum(data[s...])
            #expect(CRC32C.combine(a, b, lengthOfB: Int64(data.count - s)) == whole, "split \(s)")
        }
    }

    @Test func crc64nvme() {
        let whole = CRC64NVME.checksum(data)
        for s in splits {
            let a = CRC64NVME.checksum(data[..<s]), b = CRC64NVME.checksum(data[s...])
            #expect(CRC64NVME.combine(a, b, lengthOfB: Int64(data.count - s)) == whole, "split \(s)")
        }
    }

    /// Multipart-style fold over several parts, like a full-object checksum.
    @Test func foldOverManyParts() {
        var rng = SplitMix64(seed: 5)
        var cuts = (0..<6).map { _ in Int(rng.next(upperBound: UInt64(data.count))) }.sorted()
        cuts = [0] + cuts + [data.count]
        var c32: UInt32 = 0, c32c: UInt32 = 0, c64: UInt64 = 0
        for (lo, hi) in zip(cuts, cuts.dropFirst()) {
            let part = data[lo..<hi]
            c32 = CRC32.combine(c32, CRC32.checksum(part), lengthOfB: Int64(part.count))
            c32c = CRC32C.combine(c32c, CRC32C.checksum(part), lengthOfB: Int64(part.count))
            c64 = CRC64NVME.combine(c64, CRC64NVME.checksum(part), lengthOfB: Int64(part.count))
        }
        #expect(c32 == CRC32.checksum(data))
        #expect(c32c == CRC32C.checksum(data))
        #expect(c64 == CRC64NVME.checksum(data))
    }

    /// Lengths beyond 4 GiB: the generic GF(2) routine behind CRC32C/CRC64NVME,
    /// run with the CRC-32 polynomial, must match zlib's crc32_combine (which
    /// takes 64-bit lengths). A length truncated to 32 bits would diverge.
    @Test(arguments: [Int64(1) << 32, (Int64(1) << 33) + 5, (Int64(1) << 40) + 12_345, 3_000_000_017, 1, 8])
    func gf2CombineMatchesZlibForLargeLengths(_ length: Int64) {
        let a: UInt32 = 0x1234_5678, b: UInt32 = 0x9ABC_DEF0
        let generic = gf2CombineReflected(UInt64(a), UInt64(b), lengthOfB: length,
                                          reflectedPoly: 0xEDB8_8320, width: 32)
        #expect(UInt32(generic) == CRC32.combine(a, b, lengthOfB: length))
    }
}

@Suite struct ShiftOperatorTests {
    @Test func operatorCombineEqualsDirectCombine() {
        var g = SystemRandomNumberGenerator()
        for _ in 0..<50 {
            let a = UInt64.random(in: 0...UInt64.max, using: &g), b = UInt64.random(in: 0...UInt64.max, using: &g)
            let len = Int64.random(in: 0...(1 << 40), using: &g)
            let op64 = CRCShiftOperator(lengthOfB: len, reflectedPoly: CRC64NVME.reflectedPoly, width: 64)
            #expect(op64.combine(a, b) == CRC64NVME.combine(a, b, lengthOfB: len))
            let (a32, b32) = (UInt32(truncatingIfNeeded: a), UInt32(truncatingIfNeeded: b))
            let opC = CRCShiftOperator(lengthOfB: len, reflectedPoly: UInt64(CRC32C.reflectedPoly), width: 32)
            #expect(UInt32(opC.combine(UInt64(a32), UInt64(b32))) == CRC32C.combine(a32, b32, lengthOfB: len))
            let op32 = CRCShiftOperator(lengthOfB: len, reflectedPoly: 0xEDB8_8320, width: 32)
            #expect(UInt32(op32.combine(UInt64(a32), UInt64(b32))) == CRC32.combine(a32, b32, lengthOfB: len))
        }
    }
}
