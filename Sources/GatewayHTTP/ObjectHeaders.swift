import Foundation
import HTTPTypes
import StorageCore

/// Object headers: what PutObject/CreateMultipartUpload store and GET/HEAD return.
package enum ObjectHeaders {
    static let maxUserMetadata = 2048

    /// The stored attributes from named values (headers, or a POST form's fields) and x-amz-meta-* pairs.
    package static func attributes(value: (String) -> String?, metadata: [(name: String, value: String)],
                           repeated: (String, String) -> String) throws -> ObjectAttributes {
        var a = ObjectAttributes()
        a.contentType = value("content-type")
        a.contentDisposition = value("content-disposition")
        a.contentEncoding = value("content-encoding").flatMap(stripAWSChunked)
        a.contentLanguage = value("content-language")
        a.cacheControl = value("cache-control")
        a.expires = value("expires")
        if let sc = value("x-amz-storage-class") {
            let valid = ["STANDARD", "REDUCED_REDUNDANCY", "STANDARD_IA", "ONEZONE_IA", "INTELLIGENT_TIERING", "GLACIER",
                         "DEEP_ARCHIVE", "GLACIER_IR", "OUTPOSTS", "SNOW", "EXPRESS_ONEZONE"]
            guard valid.contains(sc) else { throw CoreError("InvalidStorageClass", "The storage class you specified is not valid") }
            a.storageClass = sc == "STANDARD" ? nil : sc
        }
        var size = 0
        for (name, v) in metadata {
            let k = String(name.lowercased().dropFirst("x-amz-meta-".count))
            let previous = a.userMetadata[k]
            a.userMetadata[k] = previous.map { repeated($0, v) } ?? v
            size += (previous == nil ? k.utf8.count : 0) + v.utf8.count
        }
        if size > maxUserMetadata {
            throw CoreError("MetadataTooLarge", "Your metadata headers exceed the maximum allowed metadata size.",
                            details: [.init("Size", String(size)), .init("MaxSizeAllowed", String(maxUserMetadata))])
        }
        return a
    }

    /// aws-chunked is transfer framing, not a property of the stored object.
    static func stripAWSChunked(_ value: String) -> String? {
        let rest = value.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { $0.lowercased() != "aws-chunked" && !$0.isEmpty }
        return rest.isEmpty ? nil : rest.joined(separator: ", ")
    }

    package static func addChecksums(_ checksums: [String: String], to headers: inout HTTPFields, type: String? = nil) {
        for (alg, value) in checksums {
            if let name = HTTPField.Name("x-amz-checksum-" + alg.lowercased()) { headers[name] = value }
        }
        if let type, !checksums.isEmpty { headers[HTTPField.Name("x-amz-checksum-type")!] = type }
    }

    package static func add(_ a: ObjectAttributes, to headers: inout HTTPFields) {
        headers[.contentType] = a.contentType ?? "binary/octet-stream"
        if let v = a.contentDisposition { headers[.contentDisposition] = v }
        if let v = a.contentEncoding { headers[.contentEncoding] = v }
        if let v = a.contentLanguage { headers[.contentLanguage] = v }
        if let v = a.cacheControl { headers[.cacheControl] = v }
        if let v = a.expires { headers[HTTPField.Name("Expires")!] = v }
        if let v = a.storageClass { headers[HTTPField.Name("x-amz-storage-class")!] = v }
        for (k, v) in a.userMetadata.sorted(by: { $0.key < $1.key }) {
            if let name = HTTPField.Name("x-amz-meta-" + k) { headers[name] = v }
        }
    }
}
