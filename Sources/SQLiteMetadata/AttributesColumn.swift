import Foundation
import StorageCore
import WireFormats

/// The `attrs` column of objects and uploads: ObjectAttributes as JSON, in the shape JSONEncoder gave it
/// (property names as keys, absent optionals left out), read back with JSONDecoder as always. Written
/// by hand because JSONEncoder was about 3% of a small PUT's CPU; strings as `StringMapJSON` writes them.
///
/// Only the attributes every object has are written by hand. Attributes added later (ACLs, tags, lock
/// settings, encryption) are rare on the hot path: a record that holds any of them is written by
/// JSONEncoder, so that a field added to ObjectAttributes can never be dropped here unnoticed.
enum AttributesColumn {
    static func encode(_ a: ObjectAttributes) -> String {
        let handWritten = ObjectAttributes(contentType: a.contentType, contentDisposition: a.contentDisposition,
                                           contentEncoding: a.contentEncoding, contentLanguage: a.contentLanguage,
                                           cacheControl: a.cacheControl, expires: a.expires, storageClass: a.storageClass,
                                           userMetadata: a.userMetadata, checksums: a.checksums, checksumType: a.checksumType)
        guard handWritten == a else {
            let encoder = JSONEncoder()
            encoder.outputFormatting = .sortedKeys
            // ObjectAttributes holds only strings, maps, arrays and dates: encoding it cannot fail.
            return String(decoding: (try? encoder.encode(a)) ?? Data("{}".utf8), as: UTF8.self)
        }
        var out: [UInt8] = []
        out.reserveCapacity(160)
        out.append(UInt8(ascii: "{"))
        func field(_ name: String, _ value: String?) {
            guard let value else { return }
            StringMapJSON.appendString(name, to: &out)
            out.append(UInt8(ascii: ":"))
            StringMapJSON.appendString(value, to: &out)
            out.append(UInt8(ascii: ","))
        }
        func object(_ name: String, _ pairs: [String: String]) {
            StringMapJSON.appendString(name, to: &out)
            out.append(contentsOf: ":{".utf8)
            for (i, (k, v)) in pairs.sorted(by: { $0.key < $1.key }).enumerated() {
                if i > 0 { out.append(UInt8(ascii: ",")) }
                StringMapJSON.appendString(k, to: &out)
                out.append(UInt8(ascii: ":"))
                StringMapJSON.appendString(v, to: &out)
            }
            out.append(UInt8(ascii: "}"))
        }
        field("contentType", a.contentType)
        field("contentDisposition", a.contentDisposition)
        field("contentEncoding", a.contentEncoding)
        field("contentLanguage", a.contentLanguage)
        field("cacheControl", a.cacheControl)
        field("expires", a.expires)
        field("storageClass", a.storageClass)
        field("checksumType", a.checksumType)
        object("userMetadata", a.userMetadata)
        out.append(UInt8(ascii: ","))
        object("checksums", a.checksums)
        out.append(UInt8(ascii: "}"))
        return String(decoding: out, as: UTF8.self)
    }
}
