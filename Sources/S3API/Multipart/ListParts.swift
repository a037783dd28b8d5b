import GatewayHTTP
import Hummingbird
import S3XML
import SigV4
import StorageCore

/// ListParts: GET /b/k?uploadId=U with max-parts and part-number-marker.
extension S3Service {
    func listParts(_ bucket: String, _ key: String, uploadID id: String, s3: S3Request, auth: VerifiedAuth) async throws -> Response {
        let maxParts = try queryInt(s3, "max-parts", default: 1000, range: 0...1000)
        let marker = try queryInt(s3, "part-number-marker", default: 0, range: 0...Int(Int32.max))
        let (upload, parts, truncated) = try await storage.listParts(bucket: bucket, key: key, uploadID: id, after: marker, maxParts: maxParts)
        var w = XMLWriter(root: "ListPartsResult")
        w.element("Bucket", bucket)
        w.element("Key", key)
        w.element("UploadId", id)
        w.group("Initiator") { $0.element("ID", auth.accessKey); $0.element("DisplayName", auth.accessKey) }
        w.group("Owner") { $0.element("ID", auth.accessKey); $0.element("DisplayName", auth.accessKey) }
        w.element("StorageClass", upload.attributes.storageClass ?? "STANDARD")
        w.element("PartNumberMarker", marker)
        w.element("NextPartNumberMarker", parts.last?.partNumber ?? 0)
        w.element("MaxParts", maxParts)
        w.element("IsTruncated", truncated)
        if let alg = upload.checksumAlgorithm { w.element("ChecksumAlgorithm", alg) }
        if let type = upload.checksumType { w.element("ChecksumType", type) }
        for p in parts {
            w.group("Part") { e in
                e.element("PartNumber", p.partNumber)
                e.element("LastModified", S3Time.iso8601(p.lastModified))
                e.element("ETag", "\"\(p.etag)\"")
                e.element("Size", p.size)
                for (alg, value) in p.checksums.sorted(by: { $0.key < $1.key }) { e.element("Checksum" + alg, value) }
            }
        }
        return xml(w.finish())
    }
}
