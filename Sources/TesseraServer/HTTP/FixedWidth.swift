/// Zero-padded numbers for dates, request IDs and log lines. String(format:) goes through
/// Foundation's CFString formatter, which cost more than the rest of a small GET's headers.
enum FixedWidth {
    /// Appends `v` in decimal, left-padded with zeros to `width` digits (wider values keep all their
    /// digits), as ASCII bytes.
    static func append(_ v: Int, width: Int = 1, to out: inout [UInt8]) {
        var v = max(0, v)
        var digits: (UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8,
                     UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8) =
            (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
        var n = 0
        withUnsafeMutableBytes(of: &digits) { d in
            repeat { d[19 - n] = UInt8(truncatingIfNeeded: 48 + v % 10); v /= 10; n += 1 } while v > 0
            while n < min(width, 20) { d[19 - n] = 48; n += 1 }
            out.append(contentsOf: d[(20 - n)...])
        }
    }

    /// `v` as 16 hex digits.
    static func hex16(_ v: UInt64, uppercase: Bool = false) -> String {
        let digits = Array((uppercase ? "0123456789ABCDEF" : "0123456789abcdef").utf8)
        var out = [UInt8](repeating: 0, count: 16)
        var v = v
        for i in stride(from: 15, through: 0, by: -1) { out[i] = digits[Int(v & 15)]; v >>= 4 }
        return String(decoding: out, as: UTF8.self)
    }
}
