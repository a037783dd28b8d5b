import CCRCFold

/// The PCLMULQDQ folding shared by CRC32, CRC32C and CRC64NVME (Sources/CCRCFold): long inputs are
/// folded to 16 bytes, which each CRC then finishes with its own table (or zlib). Measured on a 1 GiB
/// PUT: CRC64NVME by slicing tables was 20% of the daemon's CPU, folded 3.5%.
enum CRCFold {
    static let available = tessera_crc_fold_available() != 0
    /// Below this the tables are as fast as the folding and its 16-byte finish.
    static let minimum = 256

    /// Bit-reflected x^n mod P for a reflected polynomial of `width` bits, in the high `width` bits of a
    /// 64-bit word: the convention the C code multiplies in.
    static func xPowModP(_ n: Int, reflectedPoly: UInt64, width: Int) -> UInt64 {
        var v: UInt64 = 1 << (width - 1)   // x^0
        for _ in 0..<n {
            let carry = v & 1
            v >>= 1
            if carry != 0 { v ^= reflectedPoly }
        }
        return v << (64 - width)
    }

    /// The four constants for folding 16 and 64 bytes at a time.
    static func constants(reflectedPoly: UInt64, width: Int) -> [UInt64] {
        [191, 127, 575, 511].map { xPowModP($0, reflectedPoly: reflectedPoly, width: width) }
    }

    /// Folds a prefix of `bytes` from `register` (not inverted). Returns how many bytes were consumed and
    /// the 16 bytes to finish from a zero register, or nil when the input is short or the CPU lacks
    /// the instructions (then the caller's table does everything).
    static func fold(register: UInt64, _ bytes: UnsafeRawBufferPointer, constants: [UInt64]) -> (used: Int, rest: [UInt8])? {
        guard available, bytes.count >= minimum, let base = bytes.baseAddress else { return nil }
        var rest = [UInt8](repeating: 0, count: 16)
        let used = constants.withUnsafeBufferPointer { k in
            rest.withUnsafeMutableBufferPointer { r in
                tessera_crc_fold(register, base.assumingMemoryBound(to: UInt8.self), bytes.count, k.baseAddress!, r.baseAddress!)
            }
        }
        return used > 0 ? (used, rest) : nil
    }
}
