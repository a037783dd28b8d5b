import WireFormats

/// AWS's UriEncode: every byte but A-Z a-z 0-9 - . _ ~ becomes %XX (uppercase).
/// '/' is encoded too, as SigV4 requires for query names and values.
enum URIEncoding {
    private static let upperDigits: [UInt8] = Array("0123456789ABCDEF".utf8)

    static func isUnreserved(_ byte: UInt8) -> Bool {
        switch byte {
        case 0x41...0x5a, 0x61...0x7a, 0x30...0x39, 0x2d, 0x2e, 0x5f, 0x7e: return true
        default: return false
        }
    }

    static func encode<Bytes: Sequence>(_ bytes: Bytes, into out: inout [UInt8]) where Bytes.Element == UInt8 {
        for byte in bytes {
            if isUnreserved(byte) {
                out.append(byte)
            } else {
                out.append(0x25)
                out.append(upperDigits[Int(byte >> 4)])
                out.append(upperDigits[Int(byte & 0x0f)])
            }
        }
    }

    static func encode<Bytes: Sequence>(_ bytes: Bytes) -> [UInt8] where Bytes.Element == UInt8 {
        var out: [UInt8] = []
        out.reserveCapacity(bytes.underestimatedCount)
        encode(bytes, into: &out)
        return out
    }

    /// Percent-decodes. A '%' not followed by two hex digits stays literal, so a
    /// sloppy client's query still canonicalizes the way it would have signed it.
    /// `plusAsSpace` follows form encoding, where SDKs (aws-sdk-go v1) send '+' for ' '.
    static func decode<Bytes: Collection>(_ bytes: Bytes, plusAsSpace: Bool) -> [UInt8]
    where Bytes.Element == UInt8, Bytes.Index == Int {
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count)
        var i = bytes.startIndex
        let end = bytes.endIndex
        while i < end {
            let byte = bytes[i]
            if byte == 0x25, end - i >= 3,
                let hi = Hex.value(bytes[i + 1]), let lo = Hex.value(bytes[i + 2])
            {
                out.append(hi << 4 | lo)
                i += 3
            } else if byte == 0x2b && plusAsSpace {
                out.append(0x20)
                i += 1
            } else {
                out.append(byte)
                i += 1
            }
        }
        return out
    }

    static func decodeString(_ text: Substring, plusAsSpace: Bool) -> String {
        String(decoding: decode(Array(text.utf8), plusAsSpace: plusAsSpace), as: UTF8.self)
    }
}
