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
    /// The value decoded as `name` is: on demand, as most values are only ever re-encoded (`canonical`).
    var value: [UInt8] { PercentEncoding.decodeLeniently(rawValue.utf8, plusIsSpace: true) }

    var nameString: String { String(decoding: name, as: UTF8.self) }
    var valueString: String { String(decoding: value, as: UTF8.self) }
}

/// The parsed query of a request, in wire order.
struct QueryString {
    var parameters: [QueryParameter]

    init(_ raw: String) {
        parameters = []
        if raw.isEmpty { return }
        parameters.reserveCapacity(8)
        // Pieces between '&'s, found on the UTF-8 view (no array of them, no grapheme breaking).
        let utf8 = raw.utf8
        var start = utf8.startIndex
        while start != utf8.endIndex {
            let end = utf8[start...].firstIndex(of: 0x26) ?? utf8.endIndex
            defer { start = end == utf8.endIndex ? end : utf8.index(after: end) }
            if start == end { continue }
            let piece = Substring(utf8[start..<end])
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
                    name: PercentEncoding.decodeLeniently(rawName.utf8, plusIsSpace: true)))
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
    /// encoded name then value, joined as name=value with '&'. A value is decoded and re-encoded in
    /// one pass into the result (compared encoded only between parameters of one name).
    func canonical(excluding excluded: String? = nil) -> String {
        var entries: [(name: [UInt8], index: Int)] = []
        entries.reserveCapacity(parameters.count)
        var length = 0
        for (i, p) in parameters.enumerated() {
            if let excluded, p.name.elementsEqual(excluded.utf8) { continue }
            entries.append((PercentEncoding.encode(p.name), i))
            length += p.rawName.utf8.count + p.rawValue.utf8.count + 2
        }
        entries.sort { a, b in
            if a.name != b.name { return a.name.lexicographicallyPrecedes(b.name) }
            return PercentEncoding.encode(parameters[a.index].value)
                .lexicographicallyPrecedes(PercentEncoding.encode(parameters[b.index].value))
        }
        var out: [UInt8] = []
        out.reserveCapacity(length + 16)
        for (k, entry) in entries.enumerated() {
            if k > 0 { out.append(0x26) }
            out.append(contentsOf: entry.name)
            out.append(0x3d)
            PercentEncoding.reencode(parameters[entry.index].rawValue.utf8, plusIsSpace: true, into: &out)
        }
        return String(decoding: out, as: UTF8.self)
    }
}
