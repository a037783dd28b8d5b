import Foundation
import GatewayHTTP
import HTTPTypes
import Hummingbird
import S3XML
import StorageCore

/// GetObjectAttributes (GET /b/k?attributes): the attributes named in `x-amz-object-attributes` (ETag,
/// Checksum, ObjectParts, StorageClass, ObjectSize) read from the object's record and segments, without
/// opening its body. ObjectParts lists a multipart object's parts (with each part's checksum), paged by
/// `x-amz-part-number-marker` and `x-amz-max-parts`.
extension S3Service {
    func getObjectAttributes(_ bucket: String, _ key: String, s3: S3Request) async throws -> Response {
        let request = try GetObjectAttributes.Request(attributes: s3.header("x-amz-object-attributes"),
                                                      maxParts: s3.header("x-amz-max-parts"),
                                                      partNumberMarker: s3.header("x-amz-part-number-marker"))
        let (record, segments) = try await storage.objectLayout(bucket: bucket, key: key)
        try s3.objectGate?.pass(record)
        var headers = HTTPFields()
        headers[.lastModified] = S3Time.http(record.lastModified)
        return xml(GetObjectAttributes.document(request, record: record, segments: segments), headers: headers)
    }
}

enum GetObjectAttributes {
    /// The attribute names S3 defines, in the order its response lists them.
    static let names = ["ETag", "Checksum", "ObjectParts", "StorageClass", "ObjectSize"]

    struct Request: Equatable {
        var attributes: Set<String>
        var maxParts = 1000
        var partNumberMarker = 0

        init(attributes raw: String?, maxParts: String? = nil, partNumberMarker: String? = nil) throws {
            let listed = (raw ?? "").split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
            guard !listed.isEmpty else {
                throw CoreError("InvalidRequest", "The x-amz-object-attributes header specifying the attributes to be retrieved is either missing or empty")
            }
            for name in listed where !GetObjectAttributes.names.contains(where: { Array($0.utf8) == Array(name.utf8) }) {
                throw CoreError.invalidArgument("Invalid attribute name specified.", name: "x-amz-object-attributes", value: name)
            }
            attributes = Set(listed)
            if let maxParts { self.maxParts = try Self.count(maxParts, "x-amz-max-parts", upTo: 1000) }
            if let partNumberMarker { self.partNumberMarker = try Self.count(partNumberMarker, "x-amz-part-number-marker", upTo: 10_000) }
        }

        /// A non-negative integer header; larger values count as `limit`.
        private static func count(_ raw: String, _ name: String, upTo limit: Int) throws -> Int {
            guard let n = Int(raw), n >= 0 else {
                throw CoreError.invalidArgument("Provided \(name) not an integer or within integer range", name: name, value: raw)
            }
            return min(n, limit)
        }
    }

    /// The response document. ETag comes without quotes (as S3 sends it here); Checksum only when the
    /// object has one; ObjectParts only for objects made by CompleteMultipartUpload, with Part elements
    /// when their parts have checksums (S3 lists parts only then).
    static func document(_ request: Request, record: ObjectRecord, segments: [Segment]) -> String {
        let wants = { (name: String) in request.attributes.contains(name) }
        var w = XMLWriter(root: "GetObjectAttributesResponse")
        if wants("ETag") { w.element("ETag", record.etag) }
        let checksums = record.attributes.checksums.sorted { $0.key < $1.key }
        if wants("Checksum"), !checksums.isEmpty {
            w.group("Checksum") { c in
                for (alg, value) in checksums { c.element("Checksum" + alg, value) }
                if let type = record.attributes.checksumType { c.element("ChecksumType", type) }
            }
        }
        if wants("ObjectParts"), let partsCount = record.partsCount {
            let algorithm = checksums.first?.key
            let parts = segments.filter { $0.partNumber != nil }.sorted { $0.partNumber! < $1.partNumber! }
            let partsHaveChecksums = algorithm != nil && parts.allSatisfy { $0.checksum != nil }
            let listed: [Segment] = partsHaveChecksums ? parts : []
            let after = listed.filter { $0.partNumber! > request.partNumberMarker }
            let page = after.prefix(request.maxParts)
            let truncated = after.count > page.count
            w.group("ObjectParts") { o in
                o.element("PartsCount", partsCount)
                o.element("PartNumberMarker", request.partNumberMarker)
                if truncated, let last = page.last?.partNumber { o.element("NextPartNumberMarker", last) }
                o.element("MaxParts", request.maxParts)
                o.element("IsTruncated", truncated)
                for s in page {
                    o.group("Part") { p in
                        p.element("PartNumber", s.partNumber!)
                        p.element("Size", s.size)
                        if let algorithm, let value = s.checksum { p.element("Checksum" + algorithm, value) }
                    }
                }
            }
        }
        if wants("StorageClass") { w.element("StorageClass", record.attributes.storageClass ?? "STANDARD") }
        if wants("ObjectSize") { w.element("ObjectSize", record.size) }
        return w.finish()
    }
}
