import Foundation
import StorageCore
import WireFormats

/// The `attrs` column of objects and uploads: ObjectAttributes as JSON, in the shape JSONEncoder gave it
/// (property names as keys, absent optionals left out), read back with JSONDecoder as always. Written
/// by hand because JSONEncoder was about 3% of a small PUT's CPU; strings as `StringMapJSON` writes them.
enum AttributesColumn {
    static func encode(_ a: ObjectAttributes) -> String {
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
        if let e = a.encryption {
            // Keys sorted, as JSONEncoder's .sortedKeys writes them (the PostgreSQL store's form).
            out.append(UInt8(ascii: ","))
            StringMapJSON.appendString("encryption", to: &out)
            out.append(contentsOf: ":{".utf8)
            StringMapJSON.appendString("algorithm", to: &out)
            out.append(UInt8(ascii: ":"))
            StringMapJSON.appendString(e.algorithm, to: &out)
            out.append(contentsOf: ",\"blockSize\":\(e.blockSize),".utf8)
            if let mac = e.customerKeyMAC, let salt = e.customerKeySalt {
                StringMapJSON.appendString("customerKeyMAC", to: &out)
                out.append(UInt8(ascii: ":"))
                StringMapJSON.appendString(mac, to: &out)
                out.append(UInt8(ascii: ","))
                StringMapJSON.appendString("customerKeySalt", to: &out)
                out.append(UInt8(ascii: ":"))
                StringMapJSON.appendString(salt, to: &out)
                out.append(UInt8(ascii: ","))
            }
            StringMapJSON.appendString("masterKeyID", to: &out)
            out.append(UInt8(ascii: ":"))
            StringMapJSON.appendString(e.masterKeyID, to: &out)
            out.append(UInt8(ascii: ","))
            StringMapJSON.appendString("wrappedKey", to: &out)
            out.append(UInt8(ascii: ":"))
            StringMapJSON.appendString(e.wrappedKey, to: &out)
            out.append(UInt8(ascii: "}"))
        }
        out.append(UInt8(ascii: "}"))
        return String(decoding: out, as: UTF8.self)
    }
}
