import CZlib

/// CRC-32 (IEEE 802.3, reflected 0xEDB88320): zlib, with long inputs folded first (CRCFold).
public struct CRC32: ChecksumHasher {
    /// The CRC of everything fed so far (init/xorout already applied, as zlib keeps it).
    public private(set) var value: UInt32 = 0

    public init() {}

    static let reflectedPoly: UInt32 = 0xEDB8_8320
    static let foldConstants = CRCFold.constants(reflectedPoly: UInt64(reflectedPoly), width: 32)

    public mutating func update(_ bytes: UnsafeRawBufferPointer) {
        var bytes = bytes
        // Long inputs: folded with PCLMULQDQ first, zlib finishing.
        if let (used, rest) = CRCFold.fold(register: UInt64(~value), bytes, constants: Self.foldConstants) {
            // zlib inverts before and after: 0xFFFFFFFF starts it from a zero register.
            value = rest.withUnsafeBytes { UInt32(truncatingIfNeeded: crc32(0xFFFF_FFFF, $0.baseAddress!.assumingMemoryBound(to: Bytef.self), 16)) }
            bytes = UnsafeRawBufferPointer(rebasing: bytes[used...])
        }
        guard var base = bytes.baseAddress?.assumingMemoryBound(to: Bytef.self) else { return }
        var remaining = bytes.count
        var crc = uLong(value)
        // zlib's length parameter is 32-bit; feed in bounded slices.
        while remaining > 0 {
            let n = min(remaining, 1 << 30)
            crc = crc32(crc, base, uInt(n))
            base += n
            remaining -= n
        }
        value = UInt32(truncatingIfNeeded: crc)
    }

    public func finalize() -> [UInt8] { bigEndianBytes(value) }

    /// CRC of A||B from crc(A), crc(B) and len(B).
    public static func combine(_ a: UInt32, _ b: UInt32, lengthOfB: Int64) -> UInt32 {
        // z_off_t (off_t) is 64-bit on LP64 platforms, so the plain entry point is the 64-bit one.
        UInt32(truncatingIfNeeded: crc32_combine(uLong(a), uLong(b), .init(lengthOfB)))
    }

    /// For combining many part CRCs (`ChecksumAlgorithm.crcArithmetic`); `combine` above is zlib's.
    static let arithmetic = CRCPolynomialArithmetic(reflectedPoly: UInt64(reflectedPoly), width: 32)

    public static func checksum(_ bytes: some Collection<UInt8>) -> UInt32 {
        var h = CRC32()
        h.update(bytes)
        return h.value
    }
}

@inline(__always)
func bigEndianBytes(_ v: UInt32) -> [UInt8] {
    [UInt8(truncatingIfNeeded: v >> 24), UInt8(truncatingIfNeeded: v >> 16),
     UInt8(truncatingIfNeeded: v >> 8), UInt8(truncatingIfNeeded: v)]
}

@inline(__always)
func bigEndianBytes(_ v: UInt64) -> [UInt8] {
    (0..<8).map { UInt8(truncatingIfNeeded: v >> (56 - 8 * UInt64($0))) }
}
