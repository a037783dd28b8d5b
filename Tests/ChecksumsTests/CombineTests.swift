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

    /// Lengths beyond 4 GiB: the generic routine behind CRC32C/CRC64NVME (CRCPolynomialArithmetic),
    /// run with the CRC-32 polynomial, must match zlib's crc32_combine (which
    /// takes 64-bit lengths). A length truncated to 32 bits would diverge.
    @Test(arguments: [Int64(1) << 32, (Int64(1) << 33) + 5, (Int64(1) << 40) + 12_345, 3_000_000_017, 1, 8])
    func genericCombineMatchesZlibForLargeLengths(_ length: Int64) {
        let a: UInt32 = 0x1234_5678, b: UInt32 = 0x9ABC_DEF0
        let arithmetic = CRCPolynomialArithmetic(reflectedPoly: 0xEDB8_8320, width: 32)
        let generic = arithmetic.combine(UInt64(a), UInt64(b), factorOfB: arithmetic.zeroBytesFactor(length))
        #expect(UInt32(generic) == CRC32.combine(a, b, lengthOfB: length))
    }
}

@Suite struct PolynomialArithmeticTests {
    /// With the CRC-32 polynomial the products agree with zlib's crc32_combine (an implementation
    /// apart from ours), over random registers and lengths from 0 to 2^40 and near 2^63.
    @Test func combineEqualsZlib() {
        var g = SystemRandomNumberGenerator()
        let crc32 = ChecksumAlgorithm.crc32.crcArithmetic!   // the instance completions use
        // Every byte place of the length's table, and the digits at its edges (0, 1, 255).
        var lengths: [Int64] = [1, 2, 7, 8, 255, 256, 257, 0xFFFF, 0x1_0000, 0x1_00FF, 5 << 20, 0x0102_0304_0506_0708,
                                0x7F00_FF00_FF00_FF01, Int64.max, Int64.max - 1, 1 << 62]
        for place in 0..<8 { lengths += [Int64(1) << (8 * place), Int64(0xFF) << (8 * place) & Int64.max] }
        for _ in 0..<200 { lengths.append(Int64.random(in: 1...(1 << 40), using: &g)) }
        for len in lengths {
            let a = UInt32.random(in: 0...UInt32.max, using: &g), b = UInt32.random(in: 0...UInt32.max, using: &g)
            #expect(UInt32(crc32.combine(UInt64(a), UInt64(b), factorOfB: crc32.zeroBytesFactor(len)))
                == CRC32.combine(a, b, lengthOfB: len), "\(len)")
        }
    }

    /// The CRC of a real concatenation, from its pieces' CRCs: the identity the combine rests on.
    @Test func combinedPiecesEqualTheWholeMessage() {
        var g = SystemRandomNumberGenerator()
        let arithmetic = CRCPolynomialArithmetic(reflectedPoly: CRC64NVME.reflectedPoly, width: 64)
        let arithmeticC = CRCPolynomialArithmetic(reflectedPoly: UInt64(CRC32C.reflectedPoly), width: 32)
        let pieces = (0..<6).map { _ in (0..<Int.random(in: 0...5000, using: &g)).map { _ in UInt8.random(in: 0...255, using: &g) } }
        var crc: UInt64 = 0
        var crcC: UInt64 = 0
        for piece in pieces {
            crc = arithmetic.combine(crc, CRC64NVME.checksum(piece), factorOfB: arithmetic.zeroBytesFactor(Int64(piece.count)))
            crcC = arithmeticC.combine(crcC, UInt64(CRC32C.checksum(piece)), factorOfB: arithmeticC.zeroBytesFactor(Int64(piece.count)))
        }
        #expect(crc == CRC64NVME.checksum(pieces.flatMap { $0 }))
        #expect(UInt32(crcC) == CRC32C.checksum(pieces.flatMap { $0 }))
    }
}
