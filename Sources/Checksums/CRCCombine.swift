/// Arithmetic modulo a CRC's generator polynomial, in the bit order of a reflected CRC register: the
/// register's top bit (bit `width - 1`) holds the coefficient of x⁰ and bit 0 that of x^(width-1).
///
/// Appending n zero bytes to a message multiplies its CRC register by x^(8n) mod P, so
/// crc(A ‖ B) = crc(A) · x^(8·len(B)) ^ crc(B) when init equals xorout (all three CRCs here). The
/// power comes from a table of x^(8·d·256^j) mod P for each byte d of the length at each place j: one
/// product per nonzero byte of the length (one or two for a part under 64 KiB). Combining 10,000 parts
/// of different sizes costs about 30,000 products of `width` steps each, where one product per set bit
/// of the length (the method before) made ~90,000 (13–18 ms), and a 64×64 GF(2) matrix operator per size
/// (the one before that) cost ~0.25 ms per size.
public struct CRCPolynomialArithmetic: Sendable {
    let reflectedPoly: UInt64
    /// The register value of the polynomial 1 (x⁰).
    let one: UInt64
    /// x^(8·d·256^j) mod P at [j · 256 + d], j = 0 ..< 8 (the bytes of a UInt64 count), d = 0 ..< 256.
    /// 2,048 entries from 2,048 products (a fraction of a millisecond): make one per polynomial and keep
    /// it (`ChecksumAlgorithm.crcArithmetic`).
    private let bytePowers: [UInt64]

    public init(reflectedPoly: UInt64, width: Int) {
        precondition(width >= 8 && width <= 64, "CRC width")
        self.reflectedPoly = reflectedPoly
        one = 1 << UInt64(width - 1)
        var table: [UInt64] = []
        table.reserveCapacity(8 * 256)
        var place = one   // becomes x⁸ (one zero byte), the step of place 0
        for _ in 0..<8 { place = Self.product(one >> 1, place, poly: reflectedPoly, one: one) }
        for _ in 0..<8 {
            var power = one
            for _ in 0..<256 {
                table.append(power)
                power = Self.product(power, place, poly: reflectedPoly, one: one)
            }
            place = power   // x^(8·256^(j+1)): the power one past digit 255, the step of the next place
        }
        bytePowers = table
    }

    /// a · b mod P: b is multiplied by x once per term of a, from x⁰ upwards, and added where a has the
    /// term. Branch-free (masks instead of ifs): a's terms are random bits, and a mispredicted branch per
    /// term cost more than the arithmetic (a 10,000-part completion makes ~90,000 of these products).
    @inline(__always)
    static func product(_ a: UInt64, _ b: UInt64, poly: UInt64, one: UInt64) -> UInt64 {
        var sum: UInt64 = 0
        var multiple = b   // b · x^i for the current term x^i
        var bit = one.trailingZeroBitCount   // x⁰ is the top bit
        while bit >= 0 {
            sum ^= multiple & (0 &- ((a >> UInt64(bit)) & 1))
            multiple = (multiple >> 1) ^ (poly & (0 &- (multiple & 1)))
            bit -= 1
        }
        return sum
    }

    public func product(_ a: UInt64, _ b: UInt64) -> UInt64 { Self.product(a, b, poly: reflectedPoly, one: one) }

    /// x^(8·byteCount) mod P: what appending `byteCount` zero bytes multiplies a register by.
    /// A count of 0 (or less) appends nothing: the factor is 1.
    public func zeroBytesFactor(_ byteCount: Int64) -> UInt64 {
        var factor = one
        var n = UInt64(max(byteCount, 0))
        var place = 0
        while n != 0 {
            let digit = Int(n & 0xFF)
            if digit != 0 { factor = factor == one ? bytePowers[place + digit] : product(bytePowers[place + digit], factor) }
            n >>= 8
            place += 256
        }
        return factor
    }

    /// crc(A ‖ B) from crc(A), crc(B) and the factor for B's length (`zeroBytesFactor(len(B))`).
    public func combine(_ crcA: UInt64, _ crcB: UInt64, factorOfB: UInt64) -> UInt64 { product(factorOfB, crcA) ^ crcB }
}
