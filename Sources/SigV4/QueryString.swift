import Foundation
import WireFormats

/// One `name[=value]` pair of a raw query string.
struct QueryParameter {
    /// Bytes as received (still percent-encoded).
    var rawName: Substring
    var rawValue: Substring
    /// Percent-decoded, '+' as space; a '%' not followed by two hex digits stays literal, so a sloppy
    /// client's query canonicalizes the way it would have signed it (aws-sdk-go v1 sends '+' for ' ').
    var name: [UInt8]
    var value: [UInt8]

    var nameString: String { String(decoding: name, as: UTF8.self) }
    var valueString: String { String(decoding: value, as: UTF8.self) }
}

/// The parsed query of a request, in wire order.
struct QueryString {
    var parameters: [QueryParameter]

    init(_ raw: String) {
        parameters = []
        if raw.isEmpty { return }
        for piece in ASCII.split(raw, 0x26) where !piece.isEmpty {
            let rawName: Substring
            let rawValue: Substring
            if let eq = ASCII.firstIndex(of: 0x3d, in: piece) {
                rawName = piece[..<eq]
                rawValue = piece[piece.utf8.index(after: eq)...]
            } else {
                // "?uploads" signs as "uploads=", the same as "?uploads=".
                rawName = piece
                rawValue = piece[piece.endIndex...]
            }
            parameters.append(
                QueryParameter(
                    rawName: rawName, rawValue: rawValue,
                    name: PercentEncoding.decodeLeniently(rawName.utf8, plusIsSpace: true),
                    value: PercentEncoding.decodeLeniently(rawValue.utf8, plusIsSpace: true)))
        }
    }

    /// First parameter whose decoded name is exactly `name`.
    func parameter(_ name: String) -> QueryParameter? {
        var name = name
        return name.withUTF8 { key in parameters.first { $0.name.withUnsafeBufferPointer { $0.elementsEqual(key) } } }
    }

    func value(_ name: String) -> String? { parameter(name)?.valueString }

    func contains(_ name: String) -> Bool { parameter(name) != nil }

    /// SigV4 canonical query: names and values re-encoded with UriEncode, sorted by
    /// encoded name then value, joined as name=value with '&'.
    func canonical(excluding excluded: String? = nil) -> String {
        let skip = excluded.map { Array($0.utf8) }
        var pairs: [(name: [UInt8], value: [UInt8])] = []
        pairs.reserveCapacity(parameters.count)
        for p in parameters where skip == nil || p.name != skip! {
            pairs.append((PercentEncoding.encode(p.name), PercentEncoding.encode(p.value)))
        }
        pairs.sort { a, b in
            if a.name != b.name { return a.name.lexicographicallyPrecedes(b.name) }
            return a.value.lexicographicallyPrecedes(b.value)
        }
        var out: [UInt8] = []
        for (i, pair) in pairs.enumerated() {
            if i > 0 { out.append(0x26) }
            out.append(contentsOf: pair.name)
            out.append(0x3d)
            out.append(contentsOf: pair.value)
        }
        return String(decoding: out, as: UTF8.self)
    }
}
