/// Zero-padded decimal numbers, as dates, request IDs and log lines write them. String(format:) goes
/// through Foundation's CFString formatter, which cost more than the rest of a small GET's headers.
public enum DecimalDigits {
    /// Appends `value` in decimal, left-padded with zeros to `width` digits (wider values keep all their
    /// digits; a negative value is written as 0).
    public static func append(_ value: Int, width: Int = 1, to out: inout [UInt8]) {
        var v = Swift.max(0, value)
        var digits: (UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8,
                     UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8) =
            (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
        var n = 0
        withUnsafeMutableBytes(of: &digits) { d in
            repeat { d[19 - n] = UInt8(truncatingIfNeeded: 48 + v % 10); v /= 10; n += 1 } while v > 0
            while n < Swift.min(width, 20) { d[19 - n] = 48; n += 1 }
            out.append(contentsOf: d[(20 - n)...])
        }
    }
}
