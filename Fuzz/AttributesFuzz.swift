// The frontend target's metadata-column parsers (Fuzz/FrontEndFuzz.swift picks one): the stores' JSON columns,
// compiled with the files that write and read them (see Fuzz/fuzz.sh): Sources/SQLiteMetadata's AttributesColumn (objects.attrs, written by hand
// or by JSONEncoder, read by JSONDecoder as both stores read it) and PartChecksumsColumn (parts.checksums,
// a hand-written reader with JSONDecoder behind it), WireFormats' StringMapJSON, and StorageCore's records.
//
// Input, after FrontEndFuzz's selector byte (6, 7, 8 here):
//   6 round trip   the rest describes an ObjectAttributes (fields as length-prefixed bytes, see `attributes`):
//                  encoded as the column holds it, decoding gives back the same value, byte for byte
//   7 attrs text   the rest is a column's text: decoding throws or gives a value that round-trips
//   8 checksums    the rest is a parts.checksums text: the hand-written reader and JSONDecoder agree
import Foundation
import WireFormats

/// Maps compared by their bytes: `[String: String] ==` would take canonically equivalent names as equal.
func sameMap(_ a: [String: String]?, _ b: [String: String]?) -> Bool {
    guard let a, let b else { return a == nil && b == nil }
    func bytes(_ m: [String: String]) -> [[UInt8]] {
        m.map { Array($0.key.utf8) + [0] + Array($0.value.utf8) }.sorted { $0.lexicographicallyPrecedes($1) }
    }
    return bytes(a) == bytes(b)
}

func sameAttributes(_ a: ObjectAttributes, _ b: ObjectAttributes) -> Bool {
    sameBytes(a.contentType, b.contentType) && sameBytes(a.contentDisposition, b.contentDisposition)
        && sameBytes(a.contentEncoding, b.contentEncoding) && sameBytes(a.contentLanguage, b.contentLanguage)
        && sameBytes(a.cacheControl, b.cacheControl) && sameBytes(a.expires, b.expires) && sameBytes(a.storageClass, b.storageClass)
        && sameMap(a.userMetadata, b.userMetadata) && sameMap(a.checksums, b.checksums) && sameBytes(a.checksumType, b.checksumType)
        && sameBytes(a.ownerName, b.ownerName) && a.legalHold == b.legalHold && a.retention == b.retention
        && a.acl == b.acl && a.encryption == b.encryption
        && (a.tags?.map { Array($0.key.utf8) + [0] + Array($0.value.utf8) }) == (b.tags?.map { Array($0.key.utf8) + [0] + Array($0.value.utf8) })
}

extension FuzzInput {
    /// A string of up to 63 bytes (the length byte's low 6 bits), any bytes decoded as UTF-8 (invalid ones replaced).
    mutating func string() -> String { String(decoding: take(Int(byte() & 63)), as: UTF8.self) }

    /// Present when the next byte is odd.
    mutating func optionalString() -> String? { byte() & 1 == 1 ? string() : nil }

    mutating func map() -> [String: String] {
        var m: [String: String] = [:]
        for _ in 0..<Int(byte() % 5) { m[string()] = string() }
        return m
    }
}

func attributes(_ input: inout FuzzInput) -> ObjectAttributes {
    var a = ObjectAttributes(contentType: input.optionalString(), contentDisposition: input.optionalString(),
                             contentEncoding: input.optionalString(), contentLanguage: input.optionalString(),
                             cacheControl: input.optionalString(), expires: input.optionalString(),
                             storageClass: input.optionalString(), userMetadata: input.map(), checksums: input.map(),
                             checksumType: input.optionalString())
    // The rarer attributes send the record through JSONEncoder.
    let rare = input.byte()
    if rare & 1 != 0 { a.ownerName = input.string() }
    if rare & 2 != 0 { a.tags = (0..<Int(input.byte() % 4)).map { _ in ObjectTag(key: input.string(), value: input.string()) } }
    if rare & 4 != 0 { a.legalHold = input.byte() & 1 == 1 }
    if rare & 8 != 0 {
        var seconds: UInt32 = 0
        for b in input.take(4) { seconds = seconds << 8 | UInt32(b) }
        a.retention = ObjectRetention(mode: input.byte() & 1 == 1 ? .compliance : .governance,
                                      retainUntil: Date(timeIntervalSince1970: Double(seconds)))
    }
    if rare & 16 != 0 {
        let grants = (0..<Int(input.byte() % 3)).map { _ in
            Grant(.user(canonicalID: input.string()), Permission.allCases[Int(input.byte()) % Permission.allCases.count])
        }
        a.acl = AccessControlList(grants: grants)
    }
    if rare & 32 != 0 { a.encryption = ObjectEncryption(algorithm: "AES256", wrappedKey: input.string(), masterKeyID: input.string()) }
    return a
}

func decodeColumn(_ text: String) throws -> ObjectAttributes {
    try JSONDecoder().decode(ObjectAttributes.self, from: Data(text.utf8))
}

/// parts.checksums as JSONDecoder reads it.
struct ChecksumsWrapper: Codable { var c: [String: String] }

func fuzzAttributes(_ input: inout FuzzInput, column: Int) {
    switch column {
    case 0:
        let a = attributes(&input)
        let text = AttributesColumn.encode(a)
        guard let back = try? decodeColumn(text) else { invariant(false, "the attrs column does not decode: \(text)"); return }
        invariant(sameAttributes(a, back), "attrs round trip: \(a) -> \(text) -> \(back)")
        // Encoding is a function of the value (the column is compared as text by no one, but caches key on it).
        invariant(AttributesColumn.encode(back).utf8.elementsEqual(text.utf8), "attrs encode is not stable")
        let checksums = PartChecksumsColumn.encode(a.checksums)
        invariant((checksums == nil) == a.checksums.isEmpty, "an empty checksum map written as text")
        if let checksums {
            var bytes = Array(checksums.utf8)
            let back = bytes.withUnsafeMutableBytes { PartChecksumsColumn.decode(UnsafeRawBufferPointer($0)) }
            invariant(sameMap(back, a.checksums), "parts.checksums round trip")
        }
    case 1:
        let text = String(decoding: input.rest(), as: UTF8.self)
        // A damaged row throws (the stores report it as corrupt); what decodes writes back and reads the same.
        if let a = try? decodeColumn(text) {
            let again = AttributesColumn.encode(a)
            guard let b = try? decodeColumn(again) else { invariant(false, "a decoded row does not write back: \(again)"); return }
            invariant(sameAttributes(a, b), "decoded row does not round trip")
        }
    default:
        var bytes = Array(input.rest())
        let read = bytes.withUnsafeMutableBytes { PartChecksumsColumn.decode(UnsafeRawBufferPointer($0)) }
        let full = (try? JSONDecoder().decode(ChecksumsWrapper.self, from: Data(bytes)))?.c
        // The column reads by hand what it can and hands the rest to JSONDecoder: either way, as JSONDecoder reads it.
        invariant(sameMap(read, full), "parts.checksums: read \(String(describing: read)), JSONDecoder \(String(describing: full))")
        // StringMapJSON alone (the map inside): what it reads, JSONDecoder reads the same.
        let fast = bytes.withUnsafeBytes { StringMapJSON.decode($0) }
        if let fast {
            invariant(sameMap(fast, try? JSONDecoder().decode([String: String].self, from: Data(bytes))), "StringMapJSON and JSONDecoder disagree")
        }
        var map: [UInt8] = []
        if let fast {
            StringMapJSON.append(fast, to: &map)
            let again = map.withUnsafeBytes { StringMapJSON.decode($0) }
            invariant(sameMap(again, fast), "StringMapJSON round trip")
        }
    }
}
