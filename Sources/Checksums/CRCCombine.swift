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

/// The linear operator "append `length` zero bytes" on a reflected CRC register, built once in
/// O(width² · log length) and then applied in O(width). Combining many parts of one size (every
/// multipart part but the last) builds it once instead of once per part.
public struct CRCShiftOperator: Sendable {
    private let columns: [UInt64]

    public init(lengthOfB: Int64, reflectedPoly: UInt64, width: Int) {
        var op = (0..<width).map { UInt64(1) << UInt64($0) }   // identity
        guard lengthOfB > 0 else { columns = op; return }
        var odd = [UInt64](repeating: 0, count: width)
        var even = [UInt64](repeating: 0, count: width)
        odd[0] = reflectedPoly
        var row: UInt64 = 1
        for n in 1..<width { odd[n] = row; row <<= 1 }
        gf2MatrixSquare(&even, odd)
        gf2MatrixSquare(&odd, even)
        var len = lengthOfB
        repeat {
            gf2MatrixSquare(&even, odd)
            if len & 1 != 0 { op = op.map { gf2MatrixTimes(even, $0) } }
            len >>= 1
            if len == 0 { break }
            gf2MatrixSquare(&odd, even)
            if len & 1 != 0 { op = op.map { gf2MatrixTimes(odd, $0) } }
            len >>= 1
        } while len != 0
        columns = op
    }

    /// crc(A ‖ B) from crc(A) and crc(B), for the length of B this operator was built for.
    public func combine(_ crcA: UInt64, _ crcB: UInt64) -> UInt64 {
        columns.withUnsafeBufferPointer { m in
            var sum: UInt64 = 0
            var v = crcA
            var i = 0
            while v != 0 {
                sum ^= m[i] & (0 &- (v & 1))   // no branch on the CRC's bits: they are random
                v >>= 1
                i += 1
            }
            return sum ^ crcB
        }
    }
}
