/// CRC-64/NVME (reflected 0x9A6C9329AC4BC9B5, init/xorout all ones), slicing-by-8.
public struct CRC64NVME: ChecksumHasher {
    public static let reflectedPoly: UInt64 = 0x9A6C_9329_AC4B_C9B5
    // Global lazy init is thread-safe (swift_once); built once per process.
    static let tables: [UInt64] = makeSlicingTables(reflectedPoly: reflectedPoly)

    private var register: UInt64 = ~0

    public init() {}

    /// The CRC of everything fed so far.
    public var value: UInt64 { ~register }

    static let foldConstants = CRCFold.constants(reflectedPoly: reflectedPoly, width: 64)

    public mutating func update(_ bytes: UnsafeRawBufferPointer) {
        guard !bytes.isEmpty else { return }
        var bytes = bytes
        if let (used, rest) = CRCFold.fold(register: register, bytes, constants: Self.foldConstants) {
            register = rest.withUnsafeBytes { Self.update(0, $0) }
            bytes = UnsafeRawBufferPointer(rebasing: bytes[used...])
        }
        register = Self.update(register, bytes)
    }

    /// The register after `bytes`, by the slicing tables.
    static func update(_ register: UInt64, _ bytes: UnsafeRawBufferPointer) -> UInt64 {
        tables.withUnsafeBufferPointer { t in
            var crc = register
            var i = 0
            let n = bytes.count
            while n - i >= 8 {
                let w = UInt64(littleEndian: bytes.loadUnaligned(fromByteOffset: i, as: UInt64.self)) ^ crc
                crc = t[1792 + Int(w & 0xFF)] ^ t[1536 + Int((w >> 8) & 0xFF)]
                    ^ t[1280 + Int((w >> 16) & 0xFF)] ^ t[1024 + Int((w >> 24) & 0xFF)]
                    ^ t[768 + Int((w >> 32) & 0xFF)] ^ t[512 + Int((w >> 40) & 0xFF)]
                    ^ t[256 + Int((w >> 48) & 0xFF)] ^ t[Int(w >> 56)]
                i += 8
            }
            while i < n {
                crc = (crc >> 8) ^ t[Int((crc ^ UInt64(bytes[i])) & 0xFF)]
                i += 1
            }
            return crc
        }
    }

    public func finalize() -> [UInt8] { bigEndianBytes(value) }

    /// CRC of A||B from crc(A), crc(B) and len(B).
    public static func combine(_ a: UInt64, _ b: UInt64, lengthOfB: Int64) -> UInt64 {
        arithmetic.combine(a, b, factorOfB: arithmetic.zeroBytesFactor(lengthOfB))
    }
    static let arithmetic = CRCPolynomialArithmetic(reflectedPoly: reflectedPoly, width: 64)

    public static func checksum(_ bytes: some Collection<UInt8>) -> UInt64 {
        var h = CRC64NVME()
        h.update(bytes)
        return h.value
    }
}
