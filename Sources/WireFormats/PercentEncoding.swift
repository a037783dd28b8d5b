/// Percent-encoding (RFC 3986 §2.1), written once for signing, listing keys, redirects and reading
/// request targets and form values.
public enum PercentEncoding {
    /// RFC 3986's unreserved characters, never encoded: A-Z a-z 0-9 - . _ ~
    @inlinable
    public static func isUnreserved(_ byte: UInt8) -> Bool {
        switch byte {
        case 0x41...0x5a, 0x61...0x7a, 0x30...0x39, 0x2d, 0x2e, 0x5f, 0x7e: return true
        default: return false
        }
    }

    /// Appends `bytes` with every byte but the unreserved ones (and '/' when `keepingSlash`) as `%XX`
    /// (uppercase): AWS's UriEncode.
    @inlinable
    public static func encode(_ bytes: some Sequence<UInt8>, keepingSlash: Bool = false, into out: inout [UInt8]) {
        for byte in bytes {
            if isUnreserved(byte) || (keepingSlash && byte == UInt8(ascii: "/")) {
                out.append(byte)
            } else {
                out.append(UInt8(ascii: "%"))
                out.append(Hex.digit(byte >> 4, uppercase: true))
                out.append(Hex.digit(byte & 0x0f, uppercase: true))
            }
        }
    }

    @inlinable
    public static func encode(_ bytes: some Sequence<UInt8>, keepingSlash: Bool = false) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(bytes.underestimatedCount)
        encode(bytes, keepingSlash: keepingSlash, into: &out)
        return out
    }

    /// `text`'s UTF-8 percent-encoded, as `encode(_:keepingSlash:into:)`.
    public static func encode(_ text: String, keepingSlash: Bool = false) -> String {
        String(decoding: encode(text.utf8, keepingSlash: keepingSlash), as: UTF8.self)
    }

    /// Decodes `%XX` escapes (either case), and '+' as a space when `plusIsSpace` (form encoding).
    /// A '%' not followed by two hex digits makes the whole decode nil.
    @inlinable
    public static func decode<Bytes: Collection<UInt8>>(_ bytes: Bytes, plusIsSpace: Bool) -> [UInt8]? {
        decode(bytes, plusIsSpace: plusIsSpace, keepingMalformedEscapes: false)
    }

    /// As `decode(_:plusIsSpace:)`, but a '%' not followed by two hex digits stays as it is: SigV4
    /// canonicalizes a sloppy client's query the way that client would have signed it.
    @inlinable
    public static func decodeLeniently<Bytes: Collection<UInt8>>(_ bytes: Bytes, plusIsSpace: Bool) -> [UInt8] {
        decode(bytes, plusIsSpace: plusIsSpace, keepingMalformedEscapes: true)!
    }

    /// As `decode(_:plusIsSpace:)`, as a String; nil also when the bytes decoded are not UTF-8.
    @inlinable
    public static func decodeUTF8<Bytes: Collection<UInt8>>(_ bytes: Bytes, plusIsSpace: Bool) -> String? {
        // Most names and values need no decoding.
        if !bytes.contains(where: { $0 == UInt8(ascii: "%") || (plusIsSpace && $0 == UInt8(ascii: "+")) }) {
            return String(validating: bytes, as: UTF8.self)
        }
        return decode(bytes, plusIsSpace: plusIsSpace).flatMap { String(validating: $0, as: UTF8.self) }
    }

    @inlinable
    static func decode<Bytes: Collection<UInt8>>(_ bytes: Bytes, plusIsSpace: Bool, keepingMalformedEscapes: Bool) -> [UInt8]? {
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count)
        var i = bytes.startIndex
        while i != bytes.endIndex {
            let byte = bytes[i]
            if byte == UInt8(ascii: "%") {
                let h = bytes.index(after: i)
                let l = h == bytes.endIndex ? h : bytes.index(after: h)
                if l != bytes.endIndex, let hi = Hex.value(bytes[h]), let lo = Hex.value(bytes[l]) {
                    out.append(hi << 4 | lo)
                    i = bytes.index(after: l)
                    continue
                }
                guard keepingMalformedEscapes else { return nil }
            }
            out.append(plusIsSpace && byte == UInt8(ascii: "+") ? 0x20 : byte)
            i = bytes.index(after: i)
        }
        return out
    }
}
