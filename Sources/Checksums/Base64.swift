/// Standard (RFC 4648 §4) base64 with padding, as S3 uses for checksums and Content-MD5.
public enum Base64 {
    private static let alphabet: [UInt8] = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)

    private static let reverse: [UInt8] = {
        var table = [UInt8](repeating: 0xFF, count: 256)
        for (i, c) in alphabet.enumerated() { table[Int(c)] = UInt8(i) }
        return table
    }()

    public static func encode(_ bytes: some Collection<UInt8>) -> String {
        let input = Array(bytes)
        var out: [UInt8] = []
        out.reserveCapacity((input.count + 2) / 3 * 4)
        var i = 0
        while i + 3 <= input.count {
            let v = UInt32(input[i]) << 16 | UInt32(input[i + 1]) << 8 | UInt32(input[i + 2])
            out += [alphabet[Int(v >> 18)], alphabet[Int((v >> 12) & 63)],
                    alphabet[Int((v >> 6) & 63)], alphabet[Int(v & 63)]]
            i += 3
        }
        switch input.count - i {
        case 1:
            let v = UInt32(input[i]) << 16
            out += [alphabet[Int(v >> 18)], alphabet[Int((v >> 12) & 63)], UInt8(ascii: "="), UInt8(ascii: "=")]
        case 2:
            let v = UInt32(input[i]) << 16 | UInt32(input[i + 1]) << 8
            out += [alphabet[Int(v >> 18)], alphabet[Int((v >> 12) & 63)], alphabet[Int((v >> 6) & 63)], UInt8(ascii: "=")]
        default:
            break
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// Strict decode: padded, no whitespace, no URL-safe alphabet, and the unused
    /// trailing bits must be zero, so every digest has exactly one accepted spelling.
    public static func decode(_ string: String) -> [UInt8]? {
        var string = string
        return string.withUTF8 { input -> [UInt8]? in
            guard input.count % 4 == 0 else { return nil }
            var out: [UInt8] = []
            out.reserveCapacity(input.count / 4 * 3)
            var i = 0
            while i < input.count {
                let isLast = i + 4 == input.count
                let pad = isLast ? (input[i + 3] == UInt8(ascii: "=") ? (input[i + 2] == UInt8(ascii: "=") ? 2 : 1) : 0) : 0
                var v: UInt32 = 0
                for j in 0..<(4 - pad) {
                    let d = reverse[Int(input[i + j])]
                    guard d != 0xFF else { return nil }
                    v |= UInt32(d) << (18 - 6 * UInt32(j))
                }
                switch pad {
                case 0:
                    out.append(UInt8(truncatingIfNeeded: v >> 16))
                    out.append(UInt8(truncatingIfNeeded: v >> 8))
                    out.append(UInt8(truncatingIfNeeded: v))
                case 1:
                    guard v & 0xFF == 0 else { return nil }
                    out.append(UInt8(truncatingIfNeeded: v >> 16))
                    out.append(UInt8(truncatingIfNeeded: v >> 8))
                default:
                    guard v & 0xFFFF == 0 else { return nil }
                    out.append(UInt8(truncatingIfNeeded: v >> 16))
                }
                i += 4
            }
            return out
        }
    }
}
