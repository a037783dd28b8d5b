import Checksums
import Testing
import WireFormats

@Suite struct StreamingTests {
    /// Deterministic bytes so a failure reproduces.
    static func pseudoRandomBytes(_ count: Int, seed: UInt64) -> [UInt8] {
        var rng = SplitMix64(seed: seed)
        return (0..<count).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
    }

    @Test(arguments: ChecksumAlgorithm.allCases)
    func randomSlicesEqualOneShot(_ algorithm: ChecksumAlgorithm) {
        var rng = SplitMix64(seed: 42)
        let data = Self.pseudoRandomBytes(100_003, seed: 7)
        let expected = algorithm.digest(data)
        for _ in 0..<20 {
            var hasher = algorithm.makeHasher()
            var offset = 0
            while offset < data.count {
                // Mix of tiny (below the 8-byte stride) and large slices.
                let limit: UInt64 = rng.next(upperBound: UInt64(2)) == 0 ? 9 : 5000
                let size = Int(rng.next(upperBound: limit))
                let end = min(data.count, offset + size)
                data[offset..<end].withUnsafeBytes { hasher.update($0) }
                offset = end
            }
            #expect(hasher.finalize() == expected)
        }
    }

    @Test func finalizeDoesNotConsumeState() {
        var hasher = ChecksumAlgorithm.crc32c.makeHasher()
        hasher.update(Array("1234".utf8))
        _ = hasher.finalize()
        hasher.update(Array("56789".utf8))
        #expect(Hex.encode(hasher.finalize()) == "e3069283")
    }

    @Test func nonContiguousCollectionsAreAccepted() {
        var hasher = CRC32()
        hasher.update("123456789".utf8.lazy.map { $0 })
        #expect(hasher.value == 0xCBF4_3926)
    }
}

struct SplitMix64: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
