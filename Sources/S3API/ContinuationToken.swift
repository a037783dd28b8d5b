import Foundation

/// V2 continuation tokens: the last returned key or prefix, base64url so they are opaque and URL-safe.
enum ContinuationToken {
    static func encode(_ key: String) -> String {
        String(decoding: Data(key.utf8).base64EncodedString().utf8.map { swap($0, UInt8(ascii: "+"), UInt8(ascii: "-"), UInt8(ascii: "/"), UInt8(ascii: "_")) },
               as: UTF8.self)
    }
    static func decode(_ token: String) -> String? {
        let b64 = Data(token.utf8.map { swap($0, UInt8(ascii: "-"), UInt8(ascii: "+"), UInt8(ascii: "_"), UInt8(ascii: "/")) })
        guard let d = Data(base64Encoded: b64) else { return nil }
        return String(data: d, encoding: .utf8)
    }

    /// `byte` with `a` made `toA` and `b` made `toB` (the base64 and base64url alphabets differ in two bytes).
    private static func swap(_ byte: UInt8, _ a: UInt8, _ toA: UInt8, _ b: UInt8, _ toB: UInt8) -> UInt8 {
        byte == a ? toA : byte == b ? toB : byte
    }
}
