/// Lowercase hex, as every SigV4 hash and signature is written.
enum Hex {
    static let digits: [UInt8] = Array("0123456789abcdef".utf8)

    static func encode<Bytes: Sequence>(_ bytes: Bytes) -> String where Bytes.Element == UInt8 {
        var out: [UInt8] = []
        out.reserveCapacity(64)
        for byte in bytes {
            out.append(digits[Int(byte >> 4)])
            out.append(digits[Int(byte & 0x0f)])
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// True for exactly `count` hex digits of either case.
    static func isHex(_ text: String, count: Int) -> Bool {
        var n = 0
        for byte in text.utf8 {
            guard ASCII.hexValue(byte) != nil else { return false }
            n += 1
        }
        return n == count
    }
}
