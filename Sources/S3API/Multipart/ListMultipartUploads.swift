import GatewayHTTP
import Hummingbird
import S3XML
import StorageCore
import WireFormats

/// ListMultipartUploads: GET /b?uploads with prefix, delimiter, key-marker, upload-id-marker, max-uploads.
/// Markers are positions in (key, upload ID) order; they need not name an existing upload.
extension S3Service {
    func listMultipartUploads(_ bucket: String, s3: S3Request) async throws -> Response {
        let listing = try ListingQuery(s3)
        let (prefix, delimiter) = (listing.prefix, listing.delimiter)
        let keyMarker = s3.query["key-marker"] ?? ""
        let uploadIDMarker = keyMarker.isEmpty ? "" : (s3.query["upload-id-marker"] ?? "")
        let maxUploads = try queryInt(s3, "max-uploads", default: 1000, range: 0...1000)
        let enc = listing.encode
        let page = try await storage.listMultipartUploads(bucket: bucket, prefix: prefix, delimiter: delimiter, keyMarker: keyMarker,
                                                          uploadIDMarker: uploadIDMarker, maxUploads: maxUploads)
        var w = XMLWriter(root: "ListMultipartUploadsResult")
        w.element("Bucket", bucket)
        w.element("KeyMarker", enc(keyMarker))
        w.element("UploadIdMarker", uploadIDMarker)
        // The next markers come from the last element actually returned: an upload, or a common prefix.
        if page.isTruncated, let next = page.nextMarker {
            w.element("NextKeyMarker", enc(next))
            w.element("NextUploadIdMarker", page.lastEntry.map { $0.key == next ? $0.uploadID : "" } ?? "")
        }
        if let delimiter { w.element("Delimiter", enc(delimiter)) }
        w.element("Prefix", enc(prefix))
        w.element("MaxUploads", maxUploads)
        if listing.urlEncode { w.element("EncodingType", "url") }
        w.element("IsTruncated", page.isTruncated)
        for u in page.entries {
            w.group("Upload") { e in
                e.element("Key", enc(u.key))
                e.element("UploadId", u.uploadID)
                e.group("Initiator") { $0.element("ID", "tessera"); $0.element("DisplayName", "tessera") }
                e.group("Owner") { $0.element("ID", "tessera"); $0.element("DisplayName", "tessera") }
                e.element("StorageClass", u.storageClass ?? "STANDARD")
                e.element("Initiated", S3Time.iso8601(u.initiated))
            }
        }
        for p in page.commonPrefixes { w.group("CommonPrefixes") { $0.element("Prefix", enc(p)) } }
        return xml(w.finish())
    }
}
