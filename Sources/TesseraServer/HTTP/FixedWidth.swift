/// Zero-padded numbers for dates, request IDs and log lines. String(format:) goes through
/// Foundation's CFString formatter, which cost more than the rest of a small GET's headers.
enum FixedWidth {
    /// `v` in decimal, left-padded with zeros to `width` digits (wider values keep all their digits).
    static func decimal(_ v: Int, _ width: Int) -> String {
        let s = String(max(0, v))
        return s.count >= width ? s : String(repeating: "0", count: width - s.count) + s
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
