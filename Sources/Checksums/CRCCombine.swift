/// zlib's GF(2) matrix method for combining reflected CRCs whose init equals
/// xorout (both all-ones here): crc(A||B) = shift(crc(A), len(B)) ^ crc(B).
/// Works for widths up to 64; the register lives in the low `width` bits.
func gf2CombineReflected(_ crc1: UInt64, _ crc2: UInt64, lengthOfB: Int64,
                         reflectedPoly: UInt64, width: Int) -> UInt64 {
    guard lengthOfB > 0 else { return crc1 }
    var odd = [UInt64](repeating: 0, count: width)   // operator for 1 zero bit
    var even = [UInt64](repeating: 0, count: width)
    odd[0] = reflectedPoly
    var row: UInt64 = 1
    for n in 1..<width {
        odd[n] = row
        row <<= 1
    }
    gf2MatrixSquare(&even, odd)   // 2 zero bits
    gf2MatrixSquare(&odd, even)   // 4 zero bits

    var crc = crc1
    var len = lengthOfB
    // Each squaring doubles the number of zero bytes the operator appends;
    // apply it for every set bit of the length.
    repeat {
        gf2MatrixSquare(&even, odd)
        if len & 1 != 0 { crc = gf2MatrixTimes(even, crc) }
        len >>= 1
        if len == 0 { break }
        gf2MatrixSquare(&odd, even)
        if len & 1 != 0 { crc = gf2MatrixTimes(odd, crc) }
        len >>= 1
    } while len != 0
    return crc ^ crc2
}

@inline(__always)
func gf2MatrixTimes(_ mat: [UInt64], _ vec: UInt64) -> UInt64 {
    var sum: UInt64 = 0
    var v = vec
    var i = 0
    while v != 0 {
        if v & 1 != 0 { sum ^= mat[i] }
        v >>= 1
        i += 1
    }
    return sum
}

func gf2MatrixSquare(_ square: inout [UInt64], _ mat: [UInt64]) {
    for n in 0..<mat.count { square[n] = gf2MatrixTimes(mat, mat[n]) }
}

/// Arithmetic modulo a CRC's generator polynomial, in the bit order of a reflected CRC register: the
/// register's top bit (bit `width - 1`) holds the coefficient of x⁰ and bit 0 that of x^(width-1).
///
/// Appending n zero bytes to a message multiplies its CRC register by x^(8n) mod P, so
/// crc(A ‖ B) = crc(A) · x^(8·len(B)) ^ crc(B) when init equals xorout (all three CRCs here). The
/// power comes from a table of x^(2^k) mod P, one product per set bit of the length: combining parts of
/// 10,000 different sizes costs 10,000 × (a few dozen) products of `width` steps each, where building a
/// 64×64 GF(2) matrix operator per size (gf2CombineReflected's method) cost ~0.25 ms per size.
public struct CRCPolynomialArithmetic: Sendable {
    let reflectedPoly: UInt64
    /// The register value of the polynomial 1 (x⁰).
    let one: UInt64
    /// x^(2^k) mod P, k = 0 ..< 67 (enough for any Int64 count of bits).
    private let powersOfTwo: [UInt64]

    public init(reflectedPoly: UInt64, width: Int) {
        precondition(width >= 8 && width <= 64, "CRC width")
        self.reflectedPoly = reflectedPoly
        one = 1 << UInt64(width - 1)
        var table: [UInt64] = []
        var power = one >> 1   // x¹
        for _ in 0..<67 {
            table.append(power)
            power = Self.product(power, power, poly: reflectedPoly, one: one)
        }
        powersOfTwo = table
    }

    /// a · b mod P: b is multiplied by x once per term of a, from x⁰ upwards, and added where a has the term.
    @inline(__always)
    static func product(_ a: UInt64, _ b: UInt64, poly: UInt64, one: UInt64) -> UInt64 {
        var sum: UInt64 = 0
        var rest = a
        var term = one
        var multiple = b   // b · x^i for the current term x^i
        while rest != 0 {
            if rest & term != 0 {
                sum ^= multiple
                rest ^= term
            }
            term >>= 1
            multiple = multiple & 1 != 0 ? (multiple >> 1) ^ poly : multiple >> 1
        }
        return sum
    }

    public func product(_ a: UInt64, _ b: UInt64) -> UInt64 { Self.product(a, b, poly: reflectedPoly, one: one) }

    /// x^(8·byteCount) mod P: what appending `byteCount` zero bytes multiplies a register by.
    public func zeroBytesFactor(_ byteCount: Int64) -> UInt64 {
        precondition(byteCount >= 0, "a length is never negative")
        var factor = one
        var n = UInt64(byteCount)
        var k = 3   // a byte is 2³ bits
        while n != 0 {
            if n & 1 != 0 { factor = product(powersOfTwo[k], factor) }
            n >>= 1
            k += 1
        }
        return factor
    }

    /// crc(A ‖ B) from crc(A), crc(B) and the factor for B's length (`zeroBytesFactor(len(B))`).
    public func combine(_ crcA: UInt64, _ crcB: UInt64, factorOfB: UInt64) -> UInt64 { product(factorOfB, crcA) ^ crcB }
}
