/// CRC-32C (Castagnoli, reflected 0x82F63B78, init/xorout 0xFFFFFFFF), slicing-by-8.
public struct CRC32C: ChecksumHasher {
    public static let reflectedPoly: UInt32 = 0x82F6_3B78
    // Global lazy init is thread-safe (swift_once); built once per process.
    static let tables: [UInt32] = makeSlicingTables(reflectedPoly: reflectedPoly)

    private var register: UInt32 = 0xFFFF_FFFF

    public init() {}

    /// The CRC of everything fed so far.
    public var value: UInt32 { register ^ 0xFFFF_FFFF }

    static let foldConstants = CRCFold.constants(reflectedPoly: UInt64(reflectedPoly), width: 32)

    public mutating func update(_ bytes: UnsafeRawBufferPointer) {
        guard !bytes.isEmpty else { return }
        var bytes = bytes
        if let (used, rest) = CRCFold.fold(register: UInt64(register), bytes, constants: Self.foldConstants) {
            register = rest.withUnsafeBytes { Self.update(0, $0) }
            bytes = UnsafeRawBufferPointer(rebasing: bytes[used...])
        }
        register = Self.update(register, bytes)
    }

    /// The register after `bytes`, by the slicing tables.
    static func update(_ register: UInt32, _ bytes: UnsafeRawBufferPointer) -> UInt32 {
        tables.withUnsafeBufferPointer { t in
            var crc = register
            var i = 0
            let n = bytes.count
            while n - i >= 8 {
                let one = UInt32(littleEndian: bytes.loadUnaligned(fromByteOffset: i, as: UInt32.self)) ^ crc
                let two = UInt32(littleEndian: bytes.loadUnaligned(fromByteOffset: i + 4, as: UInt32.self))
                crc = t[1792 + Int(one & 0xFF)] ^ t[1536 + Int((one >> 8) & 0xFF)]
                    ^ t[1280 + Int((one >> 16) & 0xFF)] ^ t[1024 + Int(one >> 24)]
                    ^ t[768 + Int(two & 0xFF)] ^ t[512 + Int((two >> 8) & 0xFF)]
                    ^ t[256 + Int((two >> 16) & 0xFF)] ^ t[Int(two >> 24)]
                i += 8
            }
            while i < n {
                crc = (crc >> 8) ^ t[Int((crc ^ UInt32(bytes[i])) & 0xFF)]
                i += 1
            }
            return crc
        }
    }

    public func finalize() -> [UInt8] { bigEndianBytes(value) }

    /// CRC of A||B from crc(A), crc(B) and len(B).
    public static func combine(_ a: UInt32, _ b: UInt32, lengthOfB: Int64) -> UInt32 {
        UInt32(truncatingIfNeeded: arithmetic.combine(UInt64(a), UInt64(b), factorOfB: arithmetic.zeroBytesFactor(lengthOfB)))
    }
    static let arithmetic = CRCPolynomialArithmetic(reflectedPoly: UInt64(reflectedPoly), width: 32)

    public static func checksum(_ bytes: some Collection<UInt8>) -> UInt32 {
        var h = CRC32C()
        h.update(bytes)
        return h.value
    }
}
